using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary>`loom next-token`: the model's probabilities for the token after a prompt (the book's chapter 3), and raw logits.</summary>
internal static class NextTokenCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A .gguf file or a Hugging Face folder" };
        var prompt = new Argument<string?>("prompt") { Description = "The prompt", Arity = ArgumentArity.ZeroOrOne };
        var top = new Option<int>("--top") { Description = "How many of the most likely tokens to list", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print the table as JSON" };
        var logitsOut = new Option<FileInfo?>("--logits-out") { Description = "Write every position's logits (tokens × vocabulary float32, little-endian) to this file" };
        var threads = DecoderCli.ThreadsOption();
        var tokens = DecoderCli.TokensOption();
        var tokenizer = DecoderCli.TokenizerOption();
        var command = new Command("next-token", "Show the most likely next tokens after a prompt");
        command.Arguments.Add(model);
        command.Arguments.Add(prompt);
        foreach (var option in new Option[] { top, json, logitsOut, threads, tokens, tokenizer }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(top) <= 0) return DecoderCli.Fail("next-token", "--top must be positive");
                using var session = DecoderCli.Open(parse.GetValue(model)!, parse.GetValue(threads), parse.GetValue(tokenizer));
                int[] ids = session.PromptIds(parse.GetValue(prompt), parse.GetValue(tokens));
                var lm = session.Model;
                if (ids.Length > lm.ContextLength) return DecoderCli.Fail("next-token", $"the prompt has {ids.Length} tokens; the model's context is {lm.ContextLength}");
                int v = lm.VocabularySize;
                var logits = new float[(long)ids.Length * v];
                lm.Forward(ids, lm.CreateCache(ids.Length), logits);
                if (parse.GetValue(logitsOut) is { } file)
                    File.WriteAllBytes(file.FullName, MemoryMarshal.AsBytes(logits.AsSpan()).ToArray());

                var last = logits.AsSpan((ids.Length - 1) * v, v);
                float max = float.NegativeInfinity;
                foreach (float x in last) max = Math.Max(max, x);
                double sum = 0;
                foreach (float x in last) sum += Math.Exp(x - max);
                int offset = (ids.Length - 1) * v;
                var best = Enumerable.Range(0, v).OrderByDescending(i => logits[offset + i]).Take(parse.GetValue(top))
                    .Select(i => (Id: i, Text: session.TokenText(i), Logit: logits[(ids.Length - 1) * v + i], Probability: Math.Exp(logits[(ids.Length - 1) * v + i] - max) / sum)).ToArray();

                if (parse.GetValue(json))
                    Console.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        prompt_tokens = ids,
                        next = best.Select(b => new { id = b.Id, token = b.Text, logit = b.Logit, probability = b.Probability }),
                    }));
                else
                {
                    var table = new Table().Border(TableBorder.Rounded).AddColumn("id").AddColumn("token").AddColumn(new TableColumn("probability").RightAligned()).AddColumn("");
                    foreach (var b in best)
                        table.AddRow(b.Id.ToString(), Markup.Escape(b.Text.Replace("\n", "\\n")), b.Probability.ToString("P2"), $"[green]{new string('█', (int)Math.Round(b.Probability * 40))}[/]");
                    AnsiConsole.Write(table);
                }
                return 0;
            }
            catch (Exception e) when (DecoderCli.IsRefusal(e))
            {
                return DecoderCli.Fail("next-token", e.Message);
            }
        });
        return command;
    }
}
