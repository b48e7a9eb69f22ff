namespace Loom.Formats;

/// <summary>
/// What a model file or folder holds, whatever its format: architecture, hyper-parameters, tensors, metadata and
/// tokenizer. <see cref="Read"/> recognises GGUF files, safetensors files and indexes, ONNX models and Hugging Face folders;
/// another source only needs a factory that fills these properties.
/// </summary>
public sealed record ModelSummary
{
    /// <summary>The file or folder described.</summary>
    public required string Source { get; init; }

    /// <summary>E.g. "GGUF v3", "safetensors", "Hugging Face folder".</summary>
    public required string Format { get; init; }

    public string? Architecture { get; init; }
    public string? Name { get; init; }

    /// <summary>Architecture parameters in source order (GGUF keys without the architecture prefix, or config.json fields).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> HyperParameters { get; init; } = [];

    public IReadOnlyList<TensorSummary> Tensors { get; init; } = [];

    /// <summary>Other metadata, rendered as text (long arrays are shortened).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];

    public TokenizerSummary? Tokenizer { get; init; }
    public bool HasChatTemplate { get; init; }

    /// <summary>Total elements over all tensors.</summary>
    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    public long TensorBytes => Tensors.Sum(t => t.Bytes);

    /// <summary>Bytes of tensor data per element type, largest first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> BytesPerType => Tensors
        .GroupBy(t => t.Type)
        .Select(g => new KeyValuePair<string, long>(g.Key, g.Sum(t => t.Bytes)))
        .OrderByDescending(p => p.Value)
        .ToList();

    /// <summary>Reads a summary of a GGUF file, a safetensors file or index, an ONNX model, or a Hugging Face folder.</summary>
    public static ModelSummary Read(string path)
    {
        if (Directory.Exists(path)) return HuggingFaceFolderSummary.Create(path);
        if (!File.Exists(path)) throw new ModelFormatException(path, "no such file or folder");
        string name = Path.GetFileName(path);
        if (name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase) || name.Equals("config.json", StringComparison.OrdinalIgnoreCase))
            return HuggingFaceFolderSummary.Create(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            using (var onnx = OnnxModel.Open(path)) return OnnxSummary.Create(onnx, path);
        switch (Sniff(path))
        {
            case "gguf":
                using (var gguf = GgufFile.Open(path)) return GgufSummary.Create(gguf);
            case "safetensors":
                using (var model = SafetensorsModel.Open(path)) return HuggingFaceFolderSummary.FromSafetensors(model, path, "safetensors", null);
            default:
                throw new ModelFormatException(path, 0, "not a format Loom recognises (GGUF, safetensors, or a Hugging Face folder)");
        }
    }

    /// <summary>Recognises a file by its first bytes: "GGUF", or a safetensors header length followed by '{'.</summary>
    private static string? Sniff(string path)
    {
        Span<byte> head = stackalloc byte[9];
        int read;
        try
        {
            using var stream = File.OpenRead(path);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read the file: {e.Message}", e);
        }
        if (read >= 4 && head[..4].SequenceEqual("GGUF"u8)) return "gguf";
        if (read >= 9 && head[8] == (byte)'{') return "safetensors";
        return path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? "safetensors" : null;
    }
}

/// <summary>One tensor: its shape outermost first, its element type's name, element count and bytes in the file.</summary>
public sealed record TensorSummary(string Name, IReadOnlyList<long> Shape, string Type, long ElementCount, long Bytes);

/// <summary>The tokenizer a model carries: its algorithm, vocabulary size and special tokens (role → "text (id)").</summary>
public sealed record TokenizerSummary(string? Model, int? VocabSize, IReadOnlyList<KeyValuePair<string, string>> SpecialTokens);
