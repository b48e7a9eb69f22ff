namespace Loom.Formats;

/// <summary>Builds a <see cref="ModelSummary"/> from a GGUF file's metadata and tensor list.</summary>
internal static class GgufSummary
{
    private const int MaxRenderedLength = 160;

    private static readonly string[] SpecialTokenRoles = ["bos", "eos", "eot", "eom", "unknown", "padding", "separator", "mask"];

    public static ModelSummary Create(GgufFile file)
    {
        var m = file.Metadata;
        m.TryGetString("general.architecture", out string? architecture);
        m.TryGetString("general.name", out string? name);
        string prefix = architecture is null ? "\0" : architecture + ".";

        var hyper = new List<KeyValuePair<string, string>>();
        var metadata = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in m)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) hyper.Add(new(key[prefix.Length..], Render(value)));
            else if (key == "tokenizer.chat_template") metadata.Add(new(key, $"present ({value.Render(0).Length} characters)"));
            else metadata.Add(new(key, Render(value)));
        }

        return new ModelSummary
        {
            Source = file.Path ?? "(memory)",
            Format = $"GGUF v{file.Version}",
            Architecture = architecture,
            Name = name,
            HyperParameters = hyper,
            Tensors = file.Tensors.Select(t => new TensorSummary(t.Name, t.Shape, t.Type.ToString(), t.ElementCount, t.ByteCount)).ToList(),
            Metadata = metadata,
            Tokenizer = Tokenizer(m),
            HasChatTemplate = m.ContainsKey("tokenizer.chat_template"),
        };
    }

    private static TokenizerSummary? Tokenizer(GgufMetadata m)
    {
        m.TryGetString("tokenizer.ggml.model", out string? model);
        m.TryGetArray("tokenizer.ggml.tokens", out string[]? tokens);
        if (model is null && tokens is null) return null;
        var special = new List<KeyValuePair<string, string>>();
        foreach (string role in SpecialTokenRoles)
        {
            if (!m.TryGetInt64($"tokenizer.ggml.{role}_token_id", out long id)) continue;
            string text = tokens is not null && id >= 0 && id < tokens.Length ? $"{tokens[id]} ({id})" : $"({id}, outside the vocabulary)";
            special.Add(new(role, text));
        }
        return new TokenizerSummary(model, tokens?.Length, special);
    }

    internal static string Render(GgufValue value)
    {
        string text = value.IsArray ? $"{value.Describe()} {value.Render(4)}" : value.Render(4);
        return text.Length <= MaxRenderedLength ? text : text[..MaxRenderedLength] + "…";
    }
}
