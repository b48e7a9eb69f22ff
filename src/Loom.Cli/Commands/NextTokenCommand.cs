using System.CommandLine;
using System.Text.Json;
using Loom.Formats;
using Loom.Models;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom next-token MODEL --tokens 1,2,3 [--top N] [--json] [--logits-out FILE]</c>: the model's next-token probabilities.</summary>
internal static class NextTokenCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "a GGUF decoder (gpt2, llama, qwen2, phi3)" };
        var prompt = new Argument<string?>("prompt") { Description = "prompt text (needs a GGUF tokenizer loader; use --tokens)", Arity = ArgumentArity.ZeroOrOne };
        var tokens = new Option<string?>("--tokens") { Description = "prompt token ids, comma-separated" };
        var top = new Option<int>("--top") { Description = "how many candidates to list", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table" };
        var logitsOut = new Option<string?>("--logits-out") { Description = "write every position's logits (n_tokens × n_vocab float32, little-endian)" };
        var command = new Command("next-token", "Show the most likely next tokens and their probabilities");
        command.Arguments.Add(model);
        command.Arguments.Add(prompt);
        foreach (var option in new Option[] { tokens, top, threads, json, logitsOut }) command.Options.Add(option);

        command.SetAction(parseResult =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                int[] ids = DecoderSetup.PromptTokens(parseResult.GetValue(prompt), parseResult.GetValue(tokens));
                if (ids.Length == 0) throw new ArgumentException("the prompt has no tokens");
                using var setup = DecoderSetup.Load(parseResult.GetValue(model)!, parseResult.GetValue(threads));
                int vocab = setup.Model.VocabularySize;
                var logits = new float[ids.Length * vocab];
                setup.Model.Forward(ids, setup.Model.CreateCache(ids.Length), logits);

                if (parseResult.GetValue(logitsOut) is { } path)
                {
                    var bytes = new byte[logits.Length * sizeof(float)];
                    Buffer.BlockCopy(logits, 0, bytes, 0, bytes.Length); // little-endian on every platform .NET runs on here
                    File.WriteAllBytes(path, bytes);
                }

                var last = logits.AsSpan((ids.Length - 1) * vocab, vocab).ToArray();
                float max = last.Max();
                double z = last.Sum(l => Math.Exp(l - max));
                var best = Enumerable.Range(0, vocab).OrderByDescending(i => last[i]).Take(Math.Max(1, parseResult.GetValue(top)))
                    .Select(i => (Id: i, Text: setup.Vocabulary?.Text(i) ?? "", Probability: Math.Exp(last[i] - max) / z, Logit: last[i])).ToList();

                if (parseResult.GetValue(json))
                {
                    parseResult.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(
                        best.Select(b => new { id = b.Id, token = b.Text, probability = b.Probability, logit = b.Logit })));
                    return 0;
                }
                var table = new Table().AddColumn("id").AddColumn("token").AddColumn(new TableColumn("probability").RightAligned());
                foreach (var b in best) table.AddRow(b.Id.ToString(), Markup.Escape(JsonSerializer.Serialize(b.Text)), b.Probability.ToString("P2"));
                AnsiConsole.Write(table);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or ModelFormatException or ContextOverflowException or IOException)
            {
                error.WriteLine($"loom next-token: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
