using Microsoft.Extensions.AI;

namespace Loom.Generation.Templates;

/// <summary>
/// A model's chat template (<c>tokenizer.chat_template</c> in GGUF, <c>chat_template</c> in
/// <c>tokenizer_config.json</c>): Jinja source that turns a conversation into the model's prompt text.
/// Parsed once, rendered per conversation by Loom's interpreter for the Jinja subset that chat templates use
/// (no Python needed). Rendering is bounded by <see cref="TemplateLimits"/>.
/// </summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<Node> _template;

    private ChatTemplate(string source, IReadOnlyList<Node> template, TemplateLimits limits)
    {
        Source = source;
        _template = template;
        Limits = limits;
    }

    /// <summary>The Jinja source.</summary>
    public string Source { get; }

    /// <summary>Bounds applied to each render.</summary>
    public TemplateLimits Limits { get; }

    /// <summary>Parses a template.</summary>
    /// <exception cref="TemplateSyntaxException">Invalid or unsupported syntax.</exception>
    public static ChatTemplate Parse(string source, TemplateLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= TemplateLimits.Default;
        return new ChatTemplate(source, TemplateParser.Parse(source, limits), limits);
    }

    /// <summary>Renders the conversation as the model's prompt.</summary>
    /// <exception cref="TemplateRaisedException">The template rejected the conversation (e.g. roles do not alternate).</exception>
    /// <exception cref="TemplateException">Rendering failed or exceeded <see cref="Limits"/>.</exception>
    public string Render(IEnumerable<ChatMessage> messages, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new ChatTemplateOptions();
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role.Value, ["content"] = m.Text }).ToList(),
            ["add_generation_prompt"] = options.AddGenerationPrompt,
            ["bos_token"] = options.BosToken,
            ["eos_token"] = options.EosToken,
        };
        if (options.Variables is not null)
            foreach (var (name, value) in options.Variables) variables[name] = value;
        return Render(variables);
    }

    /// <summary>
    /// Renders with arbitrary variables: strings, numbers, booleans, dictionaries, sequences and
    /// System.Text.Json values (e.g. a whole request parsed from JSON).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var converted = variables.ToDictionary(p => p.Key, p => TemplateValues.From(p.Value));
        return new TemplateRenderer(Limits, converted).Render(_template);
    }
}
