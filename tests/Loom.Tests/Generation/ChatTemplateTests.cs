using System.Diagnostics;
using System.Text.Json;
using Loom.Generation.Templates;
using Microsoft.Extensions.AI;

namespace Loom.Tests.Generation;

public class ChatTemplateTests
{
    private static string Data(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Generation", "TestData", path));

    private static Dictionary<string, object?> Context(string name)
    {
        using var json = JsonDocument.Parse(Data($"contexts/{name}.json"));
        return json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
    }

    /// <summary>Renderings produced by Hugging Face transformers (llama.cpp's goldens) for real templates.</summary>
    [Theory]
    [InlineData("llama-3.2-3b-instruct", "simple")]
    [InlineData("llama-3.2-3b-instruct", "system")]
    [InlineData("qwen2.5-7b-instruct", "simple")]
    [InlineData("phi-3-mini-4k-instruct", "simple")]
    public void Real_templates_match_transformers_goldens(string template, string context)
    {
        var chat = ChatTemplate.Parse(Data($"templates/{template}.jinja"));
        Assert.Equal(Data($"templates/{template}.{context}.txt"), chat.Render(Context(context)));
    }

    // The conversation of llama.cpp's tests/test-chat-template.cpp.
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You are a helpful assistant"),
        new(ChatRole.User, "Hello"),
        new(ChatRole.Assistant, "Hi there"),
        new(ChatRole.User, "Who are you"),
        new(ChatRole.Assistant, "   I am an assistant   "),
        new(ChatRole.User, "Another question"),
    ];

    [Fact]
    public void Mistral_v3_template_matches_llama_cpp_expectation()
    {
        var chat = ChatTemplate.Parse(Data("templates/mistral-v3.jinja"));
        string rendered = chat.Render(Conversation, new ChatTemplateOptions { EosToken = "</s>" });
        Assert.Equal("[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] You are a helpful assistant\n\nAnother question[/INST]", rendered);
    }

    [Fact]
    public void Mistral_v3_template_rejects_non_alternating_roles()
    {
        var chat = ChatTemplate.Parse(Data("templates/mistral-v3.jinja"));
        var ex = Assert.Throws<TemplateRaisedException>(() => chat.Render([new(ChatRole.User, "a"), new(ChatRole.User, "b")]));
        Assert.Contains("must alternate", ex.TemplateMessage);
    }

    [Fact]
    public void Llama_3_template_matches_llama_cpp_expectation()
    {
        var chat = ChatTemplate.Parse(Data("templates/llama-3.jinja"));
        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            chat.Render(Conversation));
    }

    /// <summary>No published golden: expected text derived by hand from the templates (ChatML with a default system turn).</summary>
    [Theory]
    [InlineData("qwen2-7b-instruct", "You are a helpful assistant.")]
    [InlineData("smollm2-instruct", "You are a helpful AI assistant named SmolLM, trained by Hugging Face")]
    public void ChatML_templates_insert_their_default_system_message(string template, string defaultSystem)
    {
        var chat = ChatTemplate.Parse(Data($"templates/{template}.jinja"));
        Assert.Equal(
            $"<|im_start|>system\n{defaultSystem}<|im_end|>\n<|im_start|>user\nWhat's your favourite LLM framework?<|im_end|>\n"
            + "<|im_start|>assistant\nllama.cpp!<|im_end|>\n<|im_start|>assistant\n",
            chat.Render(Context("simple")));
        Assert.StartsWith("<|im_start|>system\nYou only tell the truth.<|im_end|>\n", chat.Render(Context("system")));
        var noPrompt = Context("simple");
        noPrompt["add_generation_prompt"] = false;
        Assert.EndsWith("llama.cpp!<|im_end|>\n", chat.Render(noPrompt));
    }

    [Fact]
    public void A_long_conversation_renders_within_the_default_limits()
    {
        var chat = ChatTemplate.Parse(Data("templates/qwen2.5-7b-instruct.jinja"));
        var messages = Enumerable.Range(0, 4000).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"turn {i} " + new string('x', 200)));
        var clock = Stopwatch.StartNew();
        string rendered = chat.Render(messages);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
        Assert.Contains("turn 3999 ", rendered);
        Assert.EndsWith("<|im_start|>assistant\n", rendered);
    }

    [Fact]
    public void Llama_3_2_uses_a_given_date_and_trims_the_system_message()
    {
        var chat = ChatTemplate.Parse(Data("templates/llama-3.2-3b-instruct.jinja"));
        string rendered = chat.Render([new(ChatRole.System, "  Be brief.\n"), new(ChatRole.User, "Hi")],
            new ChatTemplateOptions { BosToken = "<|begin_of_text|>", Variables = new Dictionary<string, object?> { ["date_string"] = "01 Jan 2026" } });
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2026\n\n"
            + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
    }

    private static string Render(string template, Dictionary<string, object?>? variables = null) =>
        ChatTemplate.Parse(template).Render(variables ?? []);

    /// <summary>Expected values follow Jinja2 / Python semantics (trim_blocks and lstrip_blocks on, as in transformers).</summary>
    [Theory]
    [InlineData("{% if true %}\n    yes\n{% endif %}\nafter", "    yes\nafter")]
    [InlineData("a\n    {% if true %}\n    b\n    {% endif %}\nc", "a\n    b\nc")]
    [InlineData("x  {%- if true %} y {% endif -%}  \n z", "x y z")]
    [InlineData("{# comment #}\nA{{- ' B ' -}} C", "A B C")]
    [InlineData("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "1TrueFalse3;2FalseFalse3;3FalseTrue3;")]
    [InlineData("{% for k, v in {'a': 1, 'b': [2]}.items() %}{{ k }}={{ v }},{% endfor %}", "a=1,b=[2],")]
    [InlineData("{% set x = 1 %}{% for i in [5] %}{% set x = i %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% set ns = namespace(x=1) %}{% for i in [5, 6] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}", "12")]
    [InlineData("{{ none }} {{ true }} {{ 1.0 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1 / 4 }}", "None True 1.0 3 2 1024 0.25")]
    [InlineData("{{ 'abcdef'[1:4] }} {{ 'abc'[::-1] }} {{ [1, 2, 3][-1] }} {{ [1, 2, 3][1:] }}", "bcd cba 3 [2, 3]")]
    [InlineData("{{ '  hi  '.strip() }}|{{ 'a,b'.split(',') }}|{{ 'Hello'.startswith('He') }}|{{ 'x' ~ 1 }}|{{ 'ab' * 2 }}", "hi|['a', 'b']|True|x1|abab")]
    [InlineData("{{ [3, 1] | length }} {{ 'abc' | upper }} {{ undefined_thing | default('d') }} {{ ['a', 'b'] | join('-') }} {{ ' t ' | trim }}", "2 ABC d a-b t")]
    [InlineData("{{ [{'r': 'u'}, {'r': 'a'}, {'r': 'u'}] | selectattr('r', 'equalto', 'u') | list | length }}", "2")]
    [InlineData("{{ [{'n': 1}, {'n': 2}] | map(attribute='n') | join(',') }}", "1,2")]
    [InlineData("{{ x is defined }} {{ x is not defined }} {{ none is none }} {{ 'a' is string }} {{ 3 is odd }} {{ {} is mapping }}", "False True True True True True")]
    [InlineData("{% if 'b' in 'abc' and 2 not in [1] %}y{% elif false %}n{% else %}n{% endif %}", "y")]
    [InlineData("{{ 'yes' if 1 > 2 else 'no' }}{{ 'x' if false }}", "no")]
    [InlineData("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ada') }} {{ greet('Bob', greeting='Hi') }}", "Hello, Ada! Hi, Bob!")]
    [InlineData("{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "02")]
    [InlineData("{% for i in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% set s %}inner {{ 1 + 1 }}{% endset %}[{{ s }}]", "[inner 2]")]
    [InlineData("{{ \"}}\" }}{{ {'a': {'b': 1}}['a']['b'] }}", "}}1")]
    [InlineData("{{ {'a': [1, 2.5, 'é\\n', true], 'b': none} | tojson }}", "{\"a\": [1, 2.5, \"é\\n\", true], \"b\": null}")]
    [InlineData("{{ {'a': [1]} | tojson(indent=2) }}", "{\n  \"a\": [\n    1\n  ]\n}")]
    [InlineData("{{ {'a': [1, 2], 'b': 'x'} | tojson(separators=(',', ':')) }}", "{\"a\":[1,2],\"b\":\"x\"}")]
    public void Jinja_semantics(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{% if x %}")]
    [InlineData("{{ 1 + }}")]
    [InlineData("{% for x in y %}{% endif %}")]
    [InlineData("{% unknown %}")]
    [InlineData("{{ 'unterminated }}")]
    [InlineData("{{ x")]
    [InlineData("{# never closed")]
    [InlineData("{{ 99999999999999999999 }}")]
    public void Syntax_errors_are_typed(string template) => Assert.Throws<TemplateSyntaxException>(() => ChatTemplate.Parse(template));

    [Fact]
    public void Runtime_errors_are_typed()
    {
        Assert.Throws<TemplateException>(() => Render("{{ x.y }}"));
        Assert.Throws<TemplateException>(() => Render("{{ 'a' + 1 }}"));
        Assert.Throws<TemplateException>(() => Render("{{ 1 / 0 }}"));
        Assert.Throws<TemplateException>(() => Render("{{ nothing() }}"));
        Assert.Throws<TemplateException>(() => Render("{{ x | no_such_filter }}"));
        Assert.Throws<TemplateRaisedException>(() => Render("{{ raise_exception('nope') }}"));
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "nested loops", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}" },
        { "recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}" },
        { "huge string", "{{ 'x' * 1000000000 }}" },
        { "huge output", "{% for i in range(1000000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}" },
        { "doubling", "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}" },
        { "huge range", "{{ range(10000000000) | length }}" },
        { "self-reference", "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns | tojson }}" },
        { "overflow", "{{ 2 ** 100 }}" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_templates_fail_fast_with_a_limit_error(string name, string template)
    {
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<TemplateLimitException>(() => Render(template));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{name} took {clock.Elapsed}");
        Assert.NotEmpty(ex.Message);
    }

    [Theory]
    [InlineData(100_000, "(", ")")]
    [InlineData(100_000, "not ", "")]
    [InlineData(100_000, "{% if true %}", "{% endif %}")]
    public void Deeply_nested_templates_are_refused_by_the_parser(int depth, string open, string close)
    {
        string template = open.StartsWith("{%", StringComparison.Ordinal)
            ? string.Concat(Enumerable.Repeat(open, depth)) + string.Concat(Enumerable.Repeat(close, depth))
            : "{{ " + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + " }}";
        Assert.Throws<TemplateSyntaxException>(() => ChatTemplate.Parse(template));
        Assert.Throws<TemplateSyntaxException>(() => ChatTemplate.Parse("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", depth)) + " }}"));
    }
}
