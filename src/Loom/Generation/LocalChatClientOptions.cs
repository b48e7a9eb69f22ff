using Loom.Generation.Templates;

namespace Loom.Generation;

/// <summary>How a <see cref="LocalChatClient"/> talks to its model; per-request <c>ChatOptions</c> override the sampling defaults.</summary>
public sealed record LocalChatClientOptions
{
    /// <summary>Reported as the response's model id.</summary>
    public string ModelId { get; init; } = "local";

    /// <summary>Text of the beginning-of-sequence token, passed to the template as <c>bos_token</c>.</summary>
    public string BosToken { get; init; } = "";

    /// <summary>Text of the end-of-sequence token, passed to the template as <c>eos_token</c>.</summary>
    public string EosToken { get; init; } = "";

    /// <summary>Token ids that end the assistant's turn (end of sequence, end of turn).</summary>
    public IReadOnlyCollection<int> StopTokens { get; init; } = [];

    /// <summary>Sampling when a request does not say otherwise.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Answer length when a request does not set <c>MaxOutputTokens</c>.</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>KV-cache positions; default min(model context, 4096).</summary>
    public int? ContextSize { get; init; }

    /// <summary>Extra template variables (e.g. <c>date_string</c> for Llama 3.x).</summary>
    public IReadOnlyDictionary<string, object?>? TemplateVariables { get; init; }

    /// <summary>Bounds for rendering the template.</summary>
    public TemplateLimits? TemplateLimits { get; init; }
}
