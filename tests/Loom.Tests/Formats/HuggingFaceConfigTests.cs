using System.Text;
using Loom.Formats;

namespace Loom.Tests.Formats;

public class HuggingFaceConfigTests
{
    private static HuggingFaceConfig Parse(string json) => HuggingFaceConfig.Parse(Encoding.UTF8.GetBytes(json), "config.json");

    [Fact]
    public void ReadsALlama3StyleConfig()
    {
        var c = Parse("""
            {
              "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16,
              "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "intermediate_size": 8192, "vocab_size": 128256,
              "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-05, "tie_word_embeddings": true,
              "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
              "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16", "sliding_window": null,
              "some_future_field": {"nested": [1, 2, 3]}
            }
            """);
        Assert.Equal("llama", c.ModelType);
        Assert.Equal(["LlamaForCausalLM"], c.Architectures);
        Assert.Equal((2048, 16, 32, 8, 64), (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim));
        Assert.Equal((8192, 128256, 131072), (c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings));
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.Equal(1e-5, c.RmsNormEps);
        Assert.True(c.TieWordEmbeddings);
        Assert.Null(c.SlidingWindow);
        Assert.Equal(new RopeScaling("llama3", 32.0, 8192, 1.0, 4.0), c.RopeScaling);
        Assert.Equal(128000, c.BosTokenId);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal("bfloat16", c.TorchDtype);
        Assert.Equal(3, c.Json.GetProperty("some_future_field").GetProperty("nested").GetArrayLength());
    }

    [Fact]
    public void ReadsGpt2NamesAsTheirModernEquivalents()
    {
        var c = Parse("""{"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024, "n_inner": null, "layer_norm_epsilon": 1e-5, "eos_token_id": 50256, "activation_function": "gelu_new"}""");
        Assert.Equal((768, 12, 12, 1024), (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.MaxPositionEmbeddings));
        Assert.Null(c.IntermediateSize);
        Assert.Equal(1e-5, c.LayerNormEps);
        Assert.Equal([50256], c.EosTokenIds);
        Assert.Equal("gelu_new", c.HiddenAct);
    }

    [Theory]
    [InlineData("""{"hidden_size": 7""", "not valid JSON")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    [InlineData("""{"hidden_size": "big"}""", "'hidden_size'")]
    [InlineData("""{"num_hidden_layers": 1e40}""", "'num_hidden_layers'")]
    [InlineData("""{"num_attention_heads": 2.5}""", "'num_attention_heads'")]
    [InlineData("""{"eos_token_id": ["x"]}""", "'eos_token_id'")]
    [InlineData("""{"rope_scaling": 3}""", "'rope_scaling'")]
    [InlineData("""{"tie_word_embeddings": "yes"}""", "'tie_word_embeddings'")]
    public void MalformedConfigsAreRefusedNamingTheProblem(string json, string problem)
    {
        var e = Assert.Throws<ModelFormatException>(() => Parse(json));
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("config.json", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsRefused()
    {
        byte[] json = [.. "{\"model_type\": \"l"u8, 0xFF, .. "\"}"u8];
        Assert.Contains("not valid UTF-8", Assert.Throws<ModelFormatException>(() => HuggingFaceConfig.Parse(json)).Message);
    }
}
