using System.Text.Json;
using Loom.Formats;
using Loom.Models;
using Loom.Models.Bert;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Loom.Embeddings;

/// <summary>Finds an encoder (packaged, ONNX, or Hugging Face config.json + model.safetensors), its tokenizer and its sentence-embedding conventions from a name, a file or a folder.</summary>
internal static class EncoderModelLoader
{
    internal sealed record Loaded(BertModel Model, Tokenizer Tokenizer, PoolingMode Pooling, int? MaxLength, string Id);

    // The sentence-transformers configurations of the packaged models.
    private static readonly Dictionary<string, (PoolingMode Pooling, int MaxLength, string Id)> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["minilm"] = (PoolingMode.Mean, 256, "sentence-transformers/all-MiniLM-L6-v2"),
        ["arctic-xs"] = (PoolingMode.Cls, 512, "Snowflake/snowflake-arctic-embed-xs"),
    };

    public static Loaded Load(string model)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        if (DefaultModels.IsDefaultModelName(model))
        {
            var files = DefaultModels.Resolve(model);
            var (pooling, maxLength, id) = Defaults[files.Name];
            return new Loaded(BertModel.FromOnnx(files.ModelPath), CreateTokenizer(files.VocabPath), pooling, maxLength, id);
        }
        if (File.Exists(model) && model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(model))!;
            return FromFolder(folder, BertModel.FromOnnx(model));
        }
        if (Directory.Exists(model))
        {
            var onnx = new[] { "model.onnx", Path.Combine("onnx", "model.onnx") }.Select(f => Path.Combine(model, f)).FirstOrDefault(File.Exists);
            if (onnx is not null) return FromFolder(model, BertModel.FromOnnx(onnx));
            if (File.Exists(Path.Combine(model, "config.json"))) return FromFolder(model, BertModel.FromHuggingFace(model));
            throw new ModelFormatException(model, "the folder holds neither model.onnx nor a Hugging Face config.json + model.safetensors");
        }
        throw new FileNotFoundException($"'{model}' is neither a default model ({string.Join(", ", DefaultModels.Names)}), an .onnx file nor a folder", model);
    }

    private static Loaded FromFolder(string folder, BertModel model)
    {
        var vocab = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocab)) throw new FileNotFoundException($"no vocab.txt next to the model in {folder}", vocab);
        return new Loaded(model, CreateTokenizer(vocab), ReadPooling(folder), ReadMaxLength(folder), Path.GetFileName(Path.GetFullPath(folder)));
    }

    // HF-exact WordPiece; both packaged models are uncased. A folder's tokenizer_config.json may say otherwise.
    internal static BertWordPieceTokenizer CreateTokenizer(string vocab)
    {
        bool lowerCase = true;
        var config = Path.Combine(Path.GetDirectoryName(vocab)!, "tokenizer_config.json");
        if (File.Exists(config))
        {
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(config));
                if (json.RootElement.TryGetProperty("do_lower_case", out var v) && v.ValueKind is JsonValueKind.False) lowerCase = false;
            }
            catch (JsonException e)
            {
                throw new ModelFormatException(config, "not valid JSON", e);
            }
        }
        return BertWordPieceTokenizer.FromVocabFile(vocab, new BertTokenizerOptions { LowerCase = lowerCase });
    }

    // sentence-transformers folders describe pooling in 1_Pooling/config.json.
    private static PoolingMode ReadPooling(string folder)
    {
        var path = Path.Combine(folder, "1_Pooling", "config.json");
        if (!File.Exists(path)) return PoolingMode.Mean;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            bool On(string key) => json.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
            if (On("pooling_mode_cls_token")) return PoolingMode.Cls;
            if (On("pooling_mode_max_tokens")) return PoolingMode.Max;
            return PoolingMode.Mean;
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, "not valid JSON", e);
        }
    }

    private static int? ReadMaxLength(string folder)
    {
        var path = Path.Combine(folder, "sentence_bert_config.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            return json.RootElement.TryGetProperty("max_seq_length", out var v) && v.TryGetInt32(out int n) && n > 1 ? n : null;
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, "not valid JSON", e);
        }
    }
}
