using System.Text.Json;
using Loom.Formats;

namespace Loom.Generation.Templates;

/// <summary>
/// A model's chat template together with the texts of its BOS and EOS tokens, as a model file declares them:
/// GGUF metadata (<c>tokenizer.chat_template</c>, <c>tokenizer.ggml.bos_token_id</c>, …) or a Hugging Face
/// <c>tokenizer_config.json</c> (<c>chat_template</c>, <c>bos_token</c>, <c>eos_token</c>).
/// </summary>
public sealed record ModelChatTemplate(ChatTemplate Template, string BosToken, string EosToken)
{
    /// <summary>Options for <see cref="ChatTemplate.Render(IEnumerable{Microsoft.Extensions.AI.ChatMessage}, ChatTemplateOptions?)"/> with this model's tokens.</summary>
    public ChatTemplateOptions Options(bool addGenerationPrompt = true) =>
        new() { AddGenerationPrompt = addGenerationPrompt, BosToken = BosToken, EosToken = EosToken };

    /// <summary>The template in a GGUF file, or null when it has none.</summary>
    /// <exception cref="TemplateSyntaxException">The template is not valid in the supported subset.</exception>
    public static ModelChatTemplate? FromGguf(GgufFile file, TemplateLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var m = file.Metadata;
        if (!m.TryGetString("tokenizer.chat_template", out var source)) return null;
        string[] tokens = m.TryGetArray<string>("tokenizer.ggml.tokens", out var t) ? t : [];
        string Token(string key) => m.TryGetUInt32(key, out uint id) && id < tokens.Length ? tokens[id] : "";
        return new ModelChatTemplate(ChatTemplate.Parse(source, limits), Token("tokenizer.ggml.bos_token_id"), Token("tokenizer.ggml.eos_token_id"));
    }

    /// <summary>
    /// The template in a <c>tokenizer_config.json</c>'s text, or null when it has none. A list of named templates
    /// yields the one named "default".
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    /// <exception cref="TemplateSyntaxException">The template is not valid in the supported subset.</exception>
    public static ModelChatTemplate? FromTokenizerConfig(string json, TemplateLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("chat_template", out var template)) return null;
        string? source = template.ValueKind switch
        {
            JsonValueKind.String => template.GetString(),
            JsonValueKind.Array => template.EnumerateArray()
                .Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == "default")
                .Select(t => t.TryGetProperty("template", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null)
                .FirstOrDefault(),
            _ => null,
        };
        if (source is null) return null;
        return new ModelChatTemplate(ChatTemplate.Parse(source, limits), TokenText(root, "bos_token"), TokenText(root, "eos_token"));
    }

    // A special token is written either as its text or as an AddedToken object {"content": "…", …}.
    private static string TokenText(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var token) ? ""
        : token.ValueKind == JsonValueKind.String ? token.GetString() ?? ""
        : token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() ?? ""
        : "";
}
