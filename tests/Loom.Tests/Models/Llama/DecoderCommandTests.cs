using System.CommandLine;
using System.Text.Json;
using Loom.Cli.Commands;
using Loom.Formats;
using Loom.Models.Llama;
using Loom.Tensors;

namespace Loom.Tests.Models.Llama;

/// <summary><c>loom generate</c> and <c>loom next-token</c> on a random-weight GGUF with a byte-level vocabulary.</summary>
public sealed class DecoderCommandTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"loom-cli-{Guid.NewGuid():N}.gguf");
    private readonly RandomLlamaFile _file;

    public DecoderCommandTests()
    {
        _file = RandomLlamaFile.Create("llama", GgmlType.F32, 11, (writer, _) =>
        {
            // Single characters, "Ġ" standing for a space in GPT-2's byte-level alphabet.
            string[] tokens = ["Ġ", .. Enumerable.Range(0, RandomLlamaFile.Vocab - 1).Select(i => ((char)(i < 26 ? 'a' + i : 'A' + i - 26)).ToString())];
            writer.AddMetadata("tokenizer.ggml.model", "gpt2");
            writer.AddMetadata("tokenizer.ggml.tokens", tokens);
            writer.AddMetadata("tokenizer.ggml.eos_token_id", 47u);
        });
        File.WriteAllBytes(_path, _file.Bytes);
    }

    public void Dispose() => File.Delete(_path);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand { GenerateCommand.Create(), NextTokenCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Greedy_generation_prints_the_argmax_continuation_and_stats()
    {
        var (code, output, error) = Run("generate", _path, "--tokens", "3,17,42", "--max-tokens", "5", "--temperature", "0", "--ignore-eos", "--stats");
        Assert.Equal(0, code);

        // Greedy continuation from the float64 reference, one argmax at a time.
        var tokens = new List<int> { 3, 17, 42 };
        for (int i = 0; i < 5; i++)
        {
            var last = LlamaReference.Logits(_file, [.. tokens])[^1];
            tokens.Add(Array.IndexOf(last, last.Max()));
        }
        string expected = string.Concat(tokens.Skip(3).Select(t => t == 0 ? " " : ((char)(t <= 26 ? 'a' + t - 1 : 'A' + t - 27)).ToString()));
        Assert.Equal(expected, output.TrimEnd('\n'));

        using var stats = JsonDocument.Parse(error);
        foreach (string key in new[] { "load_s", "prompt_tokens", "prompt_tok_per_s", "gen_tokens", "gen_tok_per_s", "threads", "peak_mb" })
            Assert.True(stats.RootElement.TryGetProperty(key, out _), key);
        Assert.Equal(3, stats.RootElement.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, stats.RootElement.GetProperty("gen_tokens").GetInt32());
    }

    [Fact]
    public void Next_token_lists_probabilities_and_writes_every_position_logits()
    {
        string logitsPath = _path + ".logits";
        try
        {
            var (code, output, _) = Run("next-token", _path, "--tokens", "3,17,42,5", "--json", "--top", "3", "--logits-out", logitsPath);
            Assert.Equal(0, code);
            var expected = LlamaReference.Logits(_file, [3, 17, 42, 5]);

            var top = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
            Assert.Equal(3, top.Count);
            Assert.Equal(Array.IndexOf(expected[^1], expected[^1].Max()), top[0].GetProperty("id").GetInt32());
            Assert.True(top[0].GetProperty("probability").GetDouble() >= top[1].GetProperty("probability").GetDouble());

            var bytes = File.ReadAllBytes(logitsPath);
            Assert.Equal(4 * RandomLlamaFile.Vocab * sizeof(float), bytes.Length);
            for (int t = 0; t < 4; t++)
                for (int v = 0; v < RandomLlamaFile.Vocab; v++)
                    Assert.Equal(expected[t][v], BitConverter.ToSingle(bytes, (t * RandomLlamaFile.Vocab + v) * 4), 1e-4);
        }
        finally
        {
            File.Delete(logitsPath);
        }
    }

    [Theory]
    [InlineData("generate", "hello")]
    [InlineData("generate", "--tokens", "1,x")]
    [InlineData("next-token", "--tokens", "1,999")]
    public void Refused_input_is_one_line_on_stderr(params string[] args)
    {
        var (code, _, error) = Run([args[0], _path, .. args[1..]]);
        Assert.NotEqual(0, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"loom {args[0]}:", error);
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        var (code, _, error) = Run("generate", _path + ".absent", "--tokens", "1");
        Assert.Equal(1, code);
        Assert.StartsWith("loom generate:", error);
    }
}
