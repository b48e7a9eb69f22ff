using System.Diagnostics;
using System.Text.Json;
using Loom.Tensors;
using Loom.Tests.Decoder;

namespace Loom.Tests.Retrieval;

/// <summary>`loom ask --model FOLDER`: the answer comes from a local model through its chat template (a tiny random-weight
/// model, so the text is noise; what is checked is the wiring: generated, not extractive, with sources).</summary>
public class AskLocalModelTests
{
    [Fact]
    public async Task Ask_with_a_local_model_generates_through_its_chat_template()
    {
        using var folder = new TempFolder();
        var model = Path.Combine(folder.Path, "hf-model");
        new TinyDecoder(new TinyDecoderSpec("qwen2", GgmlType.F32) { Context = 2048 }).WriteHuggingFace(model);
        var vocabulary = new Dictionary<string, int>();
        var next = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocabulary[((char)(printable ? b : 256 + next++)).ToString()] = b;
        }
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), JsonSerializer.Serialize(new
        {
            model = new { type = "BPE", vocab = vocabulary, merges = Array.Empty<string>() },
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, use_regex = true },
            added_tokens = new[] { new { id = 256, content = "<|im_start|>", special = true }, new { id = 257, content = "<|im_end|>", special = true } },
        }));
        var template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
        File.WriteAllText(Path.Combine(model, "tokenizer_config.json"), JsonSerializer.Serialize(new { chat_template = template, eos_token = "<|im_end|>" }));
        folder.File("c/a.txt", "Paris is the capital of France.");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Loom.Cli.dll"), "ask", "capital of France", "--corpus", Path.Combine(folder.Path, "c"), "--model", model, "--json", "-k", "1" })
            start.ArgumentList.Add(a);
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(folder.Path, "cache");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
        var answer = JsonDocument.Parse(await output).RootElement;
        Assert.False(answer.GetProperty("extractive").GetBoolean());
        Assert.Equal("a.txt", answer.GetProperty("sources")[0].GetProperty("path").GetString());
    }
}
