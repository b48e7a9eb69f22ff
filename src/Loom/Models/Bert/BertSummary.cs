using Loom.Formats;

namespace Loom.Models.Bert;

/// <summary>What `loom info minilm` shows: the packaged ONNX graph's tensors, completed with what Loom reads out of the
/// graph (the BERT hyper-parameters) and the WordPiece vocabulary beside it.</summary>
public static class BertSummary
{
    private static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Summarises a default model ("minilm", "arctic-xs"), extracting it on first use.</summary>
    public static ModelSummary ForDefaultModel(string name)
    {
        var files = DefaultModels.Resolve(name);
        using var onnx = OnnxModel.Open(files.ModelPath);
        var config = new BertOnnxSource(onnx, files.ModelPath).Config;
        var onnxSummary = OnnxSummary.Create(onnx, files.ModelPath);
        var vocabulary = File.ReadAllLines(files.VocabPath);
        var special = SpecialTokens
            .Select(token => (token, id: Array.IndexOf(vocabulary, token)))
            .Where(t => t.id >= 0)
            .Select(t => new KeyValuePair<string, string>(t.token.Trim('[', ']').ToLowerInvariant(), $"{t.token} ({t.id})"))
            .ToList();

        return onnxSummary with
        {
            Format = $"{onnxSummary.Format}, from the NuGet package {files.PackageId}",
            Architecture = "bert",
            Name = files.ModelId,
            HyperParameters =
            [
                new("vocab_size", config.VocabSize.ToString()),
                new("hidden_size", config.HiddenSize.ToString()),
                new("num_hidden_layers", config.Layers.ToString()),
                new("num_attention_heads", config.Heads.ToString()),
                new("intermediate_size", config.IntermediateSize.ToString()),
                new("max_position_embeddings", config.MaxPositions.ToString()),
                new("type_vocab_size", config.TypeVocabSize.ToString()),
                new("layer_norm_eps", config.LayerNormEps.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            ],
            Metadata = [new("cache", files.Directory), .. onnxSummary.Metadata],
            Tokenizer = new TokenizerSummary("WordPiece (vocab.txt)", vocabulary.Length, special),
        };
    }
}
