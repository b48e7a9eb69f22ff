using Loom.Embeddings;
using Loom.Formats;
using Loom.Models;
using Loom.Models.Bert;

namespace Loom.Tests.Bert;

/// <summary>
/// Loading a Hugging Face folder (config.json + model.safetensors + vocab.txt). No HF checkpoint is reachable offline, so
/// the folder is written from MiniLM's ONNX weights (renamed to PyTorch names, transposed back to [out × in]); it must give
/// the very embeddings of the ONNX-loaded model, which is itself checked against ONNX Runtime.
/// </summary>
public class BertHuggingFaceTests
{
    [Theory]
    [InlineData("", false)]
    [InlineData("bert.", true)]
    public void HuggingFaceFolderGivesTheSameEmbeddingsAsTheOnnxGraph(string prefix, bool clsPooling)
    {
        var files = DefaultModels.Resolve("minilm");
        var folder = Directory.CreateTempSubdirectory("loom-hf-");
        try
        {
            WriteFolder(folder.FullName, files, prefix, modelType: "bert");
            if (clsPooling)
            {
                Directory.CreateDirectory(Path.Combine(folder.FullName, "1_Pooling"));
                File.WriteAllText(Path.Combine(folder.FullName, "1_Pooling", "config.json"), """{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}""");
            }
            using var fromHf = SentenceEncoder.Create(folder.FullName);
            using var fromOnnx = SentenceEncoder.Create("minilm", new SentenceEncoderOptions { Pooling = clsPooling ? PoolingMode.Cls : PoolingMode.Mean });
            Assert.Equal(clsPooling ? PoolingMode.Cls : PoolingMode.Mean, fromHf.Pooling);
            Assert.Equal(fromOnnx.Model.Config, fromHf.Model.Config);
            string[] texts = ["A man is eating food.", "Time flies like an arrow; fruit flies like a banana."];
            var expected = fromOnnx.Embed(texts);
            var actual = fromHf.Embed(texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void ForeignArchitectureIsRefused()
    {
        var folder = Directory.CreateTempSubdirectory("loom-hf-");
        try
        {
            WriteFolder(folder.FullName, DefaultModels.Resolve("minilm"), "", modelType: "llama");
            var error = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Create(folder.FullName));
            Assert.Contains("llama", error.Message);
            File.Delete(Path.Combine(folder.FullName, "model.safetensors"));
            Assert.Throws<FileNotFoundException>(() => BertModel.FromHuggingFace(folder.FullName));
        }
        finally { folder.Delete(true); }
    }

    /// <summary>Writes MiniLM as a Hugging Face folder; <paramref name="extra"/> may add tensors (e.g. a classifier head).</summary>
    internal static void WriteFolder(string folder, DefaultModelFiles files, string prefix, string modelType, string architecture = "BertModel",
        Action<SafetensorsWriter, BertOnnxSource>? extra = null)
    {
        using var onnx = OnnxModel.Open(files.ModelPath);
        var source = new BertOnnxSource(onnx, files.ModelPath);
        var c = source.Config;
        var names = new List<string> { "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
            "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias" };
        for (int l = 0; l < c.Layers; l++)
            foreach (var part in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm" })
                names.AddRange([$"encoder.layer.{l}.{part}.weight", $"encoder.layer.{l}.{part}.bias"]);
        var writer = new SafetensorsWriter();
        foreach (var name in names)
        {
            var tensor = source.Find(name)!;
            writer.AddTensor(prefix + name, tensor.Data, tensor.Shape);
        }
        extra?.Invoke(writer, source);
        writer.Write(Path.Combine(folder, "model.safetensors"));
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"model_type": "{{modelType}}", "architectures": ["{{architecture}}"], "vocab_size": {{c.VocabSize}}, "hidden_size": {{c.HiddenSize}},
             "num_hidden_layers": {{c.Layers}}, "num_attention_heads": {{c.Heads}}, "intermediate_size": {{c.IntermediateSize}},
             "max_position_embeddings": {{c.MaxPositions}}, "type_vocab_size": {{c.TypeVocabSize}}, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
            """);
        File.Copy(files.VocabPath, Path.Combine(folder, "vocab.txt"));
    }
}
