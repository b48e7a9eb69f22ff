namespace Loom.Generation.Templates;

/// <summary>The standard variables a chat template expects besides <c>messages</c>.</summary>
public sealed record ChatTemplateOptions
{
    /// <summary>Ends the prompt with the assistant's header so the model answers (<c>add_generation_prompt</c>).</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>The tokenizer's beginning-of-sequence text (<c>bos_token</c>), e.g. <c>&lt;|begin_of_text|&gt;</c>.</summary>
    public string BosToken { get; init; } = "";

    /// <summary>The tokenizer's end-of-sequence text (<c>eos_token</c>).</summary>
    public string EosToken { get; init; } = "";

    /// <summary>Further variables (<c>tools</c>, <c>date_string</c>, …); they override the ones above.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }
}
