using System.Text.Json;
using Loom.Cli.Commands;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Formats;

public sealed class ModelSummaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-summary").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteGguf()
    {
        string path = Path.Combine(_dir, "tiny.gguf");
        new GgufWriter()
            .AddMetadata("general.architecture", "llama")
            .AddMetadata("general.name", "tiny")
            .AddMetadata("llama.block_count", 2u)
            .AddMetadata("llama.embedding_length", 32u)
            .AddMetadata("tokenizer.ggml.model", "gpt2")
            .AddMetadata("tokenizer.ggml.tokens", ["a", "b", "<|end|>"])
            .AddMetadata("tokenizer.ggml.eos_token_id", 2u)
            .AddMetadata("tokenizer.ggml.bos_token_id", 9u)
            .AddTensor("token_embd.weight", new float[3 * 32], 32, 3)
            .AddTensor("output.weight", GgmlType.Q8_0, [32, 3], new byte[3 * 34])
            .Write(path);
        return path;
    }

    [Fact]
    public void SummarisesAGgufFile()
    {
        var s = ModelSummary.Read(WriteGguf());
        Assert.Equal("GGUF v3", s.Format);
        Assert.Equal(("llama", "tiny"), (s.Architecture, s.Name));
        Assert.Equal([new("block_count", "2"), new("embedding_length", "32")], s.HyperParameters);
        Assert.Equal(192, s.ParameterCount);
        Assert.Equal([new("F32", 384L), new("Q8_0", 102L)], s.BytesPerType);
        Assert.Equal([3L, 32L], s.Tensors[0].Shape);
        Assert.Equal(("gpt2", 3), (s.Tokenizer!.Model, s.Tokenizer.VocabSize));
        Assert.Contains(new KeyValuePair<string, string>("eos", "<|end|> (2)"), s.Tokenizer.SpecialTokens);
        Assert.Contains(s.Tokenizer.SpecialTokens, p => p.Key == "bos" && p.Value.Contains("outside the vocabulary"));
        Assert.False(s.HasChatTemplate);
    }

    private void WriteHuggingFaceFolder()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), """
            {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 4, "num_hidden_layers": 1,
             "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 6, "rope_theta": 1000000.0, "tie_word_embeddings": true}
            """);
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), """
            {"version": "1.0", "added_tokens": [{"id": 5, "content": "<|im_end|>", "special": true}],
             "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4}, "merges": ["a b", "b c"]}}
            """);
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """
            {"eos_token": {"content": "<|im_end|>", "lstrip": false}, "pad_token": "<|im_end|>", "chat_template": "{{ messages }}"}
            """);
        new SafetensorsWriter()
            .AddMetadata("format", "pt")
            .AddTensor("model.embed_tokens.weight", SafetensorsDType.BF16, [6, 4], new byte[48])
            .AddTensor("model.norm.weight", new float[4], 4)
            .Write(Path.Combine(_dir, "model.safetensors"));
    }

    [Fact]
    public void SummarisesAHuggingFaceFolder()
    {
        WriteHuggingFaceFolder();
        var s = ModelSummary.Read(_dir);
        Assert.StartsWith("Hugging Face folder", s.Format);
        Assert.Equal("Qwen2ForCausalLM", s.Architecture);
        Assert.Contains(new KeyValuePair<string, string>("num_key_value_heads", "1"), s.HyperParameters);
        Assert.Contains(new KeyValuePair<string, string>("rope_theta", "1000000"), s.HyperParameters);
        Assert.Equal(28, s.ParameterCount);
        Assert.Equal([new("BF16", 48L), new("F32", 16L)], s.BytesPerType);
        Assert.Equal(("BPE", 6), (s.Tokenizer!.Model, s.Tokenizer.VocabSize));
        Assert.Equal([new("eos", "<|im_end|>"), new("pad", "<|im_end|>")], s.Tokenizer.SpecialTokens);
        Assert.True(s.HasChatTemplate);
        Assert.Contains(s.Metadata, p => p.Key == "format" && p.Value == "pt");
    }

    [Theory]
    [InlineData("tokenizer.json", "[1, 2]", "not a JSON object")]
    [InlineData("tokenizer.json", "{\"model\": ", "not valid JSON")]
    [InlineData("tokenizer_config.json", "\"text\"", "not a JSON object")]
    [InlineData("config.json", "{\"hidden_size\": [4]}", "'hidden_size'")]
    public void MalformedFolderFilesAreRefusedNamingTheFile(string file, string content, string problem)
    {
        WriteHuggingFaceFolder();
        File.WriteAllText(Path.Combine(_dir, file), content);
        var e = Assert.Throws<ModelFormatException>(() => ModelSummary.Read(_dir));
        Assert.Contains(problem, e.Message);
        Assert.StartsWith(file, e.Message);
    }

    [Fact]
    public void OddButValidTokenizerFilesAreTolerated()
    {
        WriteHuggingFaceFolder();
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), """{"model": {"type": 7, "vocab": 5}, "added_tokens": [{"id": "x"}, 3]}""");
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """{"eos_token": {"content": 5}, "bos_token": null, "chat_template": [{"name": "default", "template": "x"}]}""");
        var s = ModelSummary.Read(_dir);
        Assert.Null(s.Tokenizer);
        Assert.True(s.HasChatTemplate);
    }

    [Fact]
    public void InfoCommandPrintsJsonTablesAndRefusals()
    {
        WriteHuggingFaceFolder();
        string gguf = WriteGguf();

        var (code, output, error) = Run("info", gguf, "--json");
        Assert.Equal(0, code);
        Assert.Empty(error);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal("llama", json.RootElement.GetProperty("architecture").GetString());
            Assert.Equal(192, json.RootElement.GetProperty("parameterCount").GetInt64());
            Assert.Equal(2, json.RootElement.GetProperty("tensors").GetArrayLength());
            Assert.Equal(102, json.RootElement.GetProperty("bytesPerType").GetProperty("Q8_0").GetInt64());
        }

        (code, output, _) = Run("info", _dir);
        Assert.Equal(0, code);
        Assert.Contains("model.embed_tokens.weight", output);
        Assert.Contains("Qwen2ForCausalLM", output);

        byte[] bytes = File.ReadAllBytes(gguf);
        bytes[4] = 1; // version 1
        string bad = Path.Combine(_dir, "bad.gguf");
        File.WriteAllBytes(bad, bytes);
        (code, output, error) = Run("info", bad);
        Assert.NotEqual(0, code);
        Assert.Empty(output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("bad.gguf at byte 4: GGUF version 1 is not supported", error);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var root = new System.CommandLine.RootCommand { InfoCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int code = root.Parse(args).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
