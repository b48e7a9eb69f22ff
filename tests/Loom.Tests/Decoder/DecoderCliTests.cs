using System.Runtime.InteropServices;
using System.Text.Json;
using Loom.Cli.Commands;
using Loom.Models.Decoder;
using Loom.Tensors;

namespace Loom.Tests.Decoder;

/// <summary>`loom generate` and `loom next-token` on a random-weight GGUF, fed token ids.</summary>
public sealed class DecoderCliTests : IDisposable
{
    private static readonly Lock ConsoleGate = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-decoder-cli-").FullName;
    private readonly string _model;

    public DecoderCliTests()
    {
        _model = Path.Combine(_folder, "tiny.gguf");
        new TinyDecoder(new TinyDecoderSpec("qwen2", GgmlType.Q8_0)).WriteGguf(_model);
    }

    [Fact]
    public void NextTokenWritesEveryPositionsLogitsAndTheTopTokens()
    {
        string raw = Path.Combine(_folder, "logits.bin");
        var (code, stdout, stderr) = Run(NextTokenCommand.Create(), _model, "--tokens", "1,300,45,7", "--json", "--top", "5", "--logits-out", raw, "--threads", "1");
        Assert.True(code == 0, stderr);

        float[] expected = DecoderParityTests.LoomLogits(_model, [1, 300, 45, 7]).SelectMany(r => r).ToArray();
        Assert.Equal(expected, MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(raw)).ToArray());

        var next = JsonDocument.Parse(stdout).RootElement.GetProperty("next").EnumerateArray().ToArray();
        Assert.Equal(5, next.Length);
        var last = expected[^320..];
        Assert.Equal(Array.IndexOf(last, last.Max()), next[0].GetProperty("id").GetInt32());
        var probabilities = next.Select(n => n.GetProperty("probability").GetDouble()).ToArray();
        Assert.Equal(probabilities.OrderDescending(), probabilities);
        Assert.True(probabilities.Sum() is > 0 and <= 1);
        Assert.Equal("\u2581w" + next[0].GetProperty("id").GetInt32(), "\u2581" + next[0].GetProperty("token").GetString()!.TrimStart());
    }

    [Fact]
    public void GenerateIsGreedyAtTemperatureZeroWithOrWithoutTheCache()
    {
        // The greedy continuation, computed here token by token.
        using (var model = DecoderModel.Load(_model))
        {
            var cache = model.CreateCache(16);
            var logits = new float[model.VocabularySize];
            var ids = new List<int> { 1, 300, 45 };
            model.Forward(ids.ToArray(), cache, logits);
            for (int i = 0; i < 5; i++)
            {
                int next = Array.IndexOf(logits, logits.Max());
                ids.Add(next);
                model.Forward([next], cache, logits);
            }
            string expected = System.Text.Encoding.UTF8.GetString(ids.Skip(3).SelectMany(Piece).ToArray());

            var (code, stdout, stderr) = Run(GenerateCommand.Create(), _model, "--tokens", "1,300,45", "--temperature", "0", "--max-tokens", "5", "--ignore-eos", "--stats");
            Assert.True(code == 0, stderr);
            Assert.Equal(expected, stdout.TrimEnd('\n'));
            var stats = JsonDocument.Parse(stderr).RootElement;
            foreach (var key in new[] { "load_s", "prompt_tokens", "prompt_tok_per_s", "gen_tokens", "gen_tok_per_s", "threads", "peak_mb" })
                Assert.True(stats.TryGetProperty(key, out _), key);
            Assert.Equal(3, stats.GetProperty("prompt_tokens").GetInt32());
            Assert.Equal(5, stats.GetProperty("gen_tokens").GetInt32());

            var (_, uncached, _) = Run(GenerateCommand.Create(), _model, "--tokens", "1,300,45", "--temperature", "0", "--max-tokens", "5", "--ignore-eos", "--no-kv-cache");
            Assert.Equal(expected, uncached.TrimEnd('\n'));
        }

        // The vocabulary TinyDecoder writes: byte tokens <0x00>… from id 3, then pieces "▁w{id}".
        static byte[] Piece(int id) => id switch
        {
            >= 3 and < 259 => [(byte)(id - 3)],
            >= 259 and < 315 => System.Text.Encoding.UTF8.GetBytes(" w" + id),
            _ => throw new InvalidOperationException($"token {id} is special"),
        };
    }

    [Fact]
    public void TextPromptsUseTheModelsOwnVocabularyAndBadIdsAreRefusedClearly()
    {
        // The GGUF's SentencePiece vocabulary tokenizes the text (its pieces lack these letters: byte fallback).
        var (code, stdout, stderr) = Run(GenerateCommand.Create(), _model, "Hello", "--max-tokens", "2", "--temperature", "0", "--ignore-eos");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("Hello", stdout);
        (code, _, stderr) = Run(NextTokenCommand.Create(), _model, "--tokens", "1,99999");
        Assert.Equal(1, code);
        Assert.Contains("99999", stderr);
        (code, _, stderr) = Run(GenerateCommand.Create(), Path.Combine(_folder, "missing.gguf"), "--tokens", "1");
        Assert.Equal(1, code);
    }

    /// <summary>A Hugging Face folder with a byte-level BPE tokenizer.json and a ChatML template: `loom chat` reads turns
    /// from stdin, streams greedy replies (the same every time), forgets on /reset, and refuses a model without a template.</summary>
    [Fact]
    public void ChatRunsTurnsThroughTheTemplate()
    {
        string folder = Path.Combine(_folder, "hf-model");
        new TinyDecoder(new TinyDecoderSpec("qwen2", GgmlType.F32) { Context = 512 }).WriteHuggingFace(folder);
        var vocabulary = new Dictionary<string, int>();
        int next = 0;
        for (int b = 0; b < 256; b++)   // GPT-2's byte-to-character table
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocabulary[((char)(printable ? b : 256 + next++)).ToString()] = b;
        }
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(new
        {
            model = new { type = "BPE", vocab = vocabulary, merges = Array.Empty<string>() },
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, use_regex = true },
            added_tokens = new[] { new { id = 256, content = "<|im_start|>", special = true }, new { id = 257, content = "<|im_end|>", special = true } },
        }));
        string template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(new { chat_template = template, eos_token = "<|im_end|>" }));

        string[] args = [folder, "--temperature", "0", "--max-tokens", "6", "--system", "Be brief."];
        var first = RunWithInput(ChatCommand.Create(), "hello\n/reset\nhello\nand again\n", args);
        Assert.True(first.Code == 0, first.Error);
        var replies = first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, replies.Length);
        Assert.Equal(replies[0], replies[1]);   // /reset forgot the first exchange: same history, same greedy reply
        Assert.Equal(first.Out, RunWithInput(ChatCommand.Create(), "hello\n/reset\nhello\nand again\n", args).Out);

        File.Delete(Path.Combine(folder, "tokenizer_config.json"));
        var refused = RunWithInput(ChatCommand.Create(), "hello\n", args);
        Assert.Equal(1, refused.Code);
        Assert.Contains("template", refused.Error);
    }

    private static (int Code, string Out, string Error) Run(System.CommandLine.Command command, params string[] args) => RunWithInput(command, "", args);

    private static (int Code, string Out, string Error) RunWithInput(System.CommandLine.Command command, string input, params string[] args)
    {
        lock (ConsoleGate)
        {
            var (output, error, reader) = (Console.Out, Console.Error, Console.In);
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Console.SetIn(new StringReader(input));
            try
            {
                int code = command.Parse(args).Invoke();
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(output);
                Console.SetError(error);
                Console.SetIn(reader);
            }
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
