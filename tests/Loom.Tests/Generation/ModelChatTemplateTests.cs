using System.Text.Json;
using Loom.Formats;
using Loom.Generation.Templates;
using Microsoft.Extensions.AI;

namespace Loom.Tests.Generation;

public class ModelChatTemplateTests
{
    private static string Template(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Generation", "TestData", "templates", name));

    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "Hi")];

    [Fact]
    public void Reads_tokenizer_config_with_added_token_objects()
    {
        string json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["chat_template"] = Template("llama-3.2-3b-instruct.jinja"),
            ["bos_token"] = new Dictionary<string, object> { ["content"] = "<|begin_of_text|>", ["lstrip"] = false },
            ["eos_token"] = "<|eot_id|>",
        });
        var model = ModelChatTemplate.FromTokenizerConfig(json)!;
        Assert.Equal("<|begin_of_text|>", model.BosToken);
        Assert.Equal("<|eot_id|>", model.EosToken);
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system", model.Template.Render(Hello, model.Options()));
    }

    [Fact]
    public void Picks_the_default_of_named_templates_and_returns_null_without_one()
    {
        string json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["chat_template"] = new[]
            {
                new Dictionary<string, string> { ["name"] = "tool_use", ["template"] = "TOOLS" },
                new Dictionary<string, string> { ["name"] = "default", ["template"] = Template("smollm2-instruct.jinja") },
            },
        });
        Assert.Contains("named SmolLM", ModelChatTemplate.FromTokenizerConfig(json)!.Template.Render(Hello));
        Assert.Null(ModelChatTemplate.FromTokenizerConfig("""{"bos_token": "<s>"}"""));
        Assert.Throws<TemplateSyntaxException>(() => ModelChatTemplate.FromTokenizerConfig("""{"chat_template": "{% if %}"}"""));
    }

    [Fact]
    public void Reads_gguf_metadata()
    {
        var writer = new GgufWriter();
        writer.AddMetadata("tokenizer.chat_template", Template("qwen2-7b-instruct.jinja"));
        writer.AddMetadata("tokenizer.ggml.tokens", new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" });
        writer.AddMetadata("tokenizer.ggml.bos_token_id", 0u);
        writer.AddMetadata("tokenizer.ggml.eos_token_id", 2u);
        writer.AddTensor("x", new float[] { 1 }, 1);
        using var stream = new MemoryStream();
        writer.Write(stream);
        using var file = GgufFile.Read(stream.ToArray());

        var model = ModelChatTemplate.FromGguf(file)!;
        Assert.Equal(("<|endoftext|>", "<|im_end|>"), (model.BosToken, model.EosToken));
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            model.Template.Render(Hello, model.Options()));
    }
}
