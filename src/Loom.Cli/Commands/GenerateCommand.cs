using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Loom.Generation;
using Loom.Models;

namespace Loom.Cli.Commands;

/// <summary>`loom generate`: streams a continuation of a prompt with a local GGUF or Hugging Face decoder.</summary>
internal static class GenerateCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A .gguf file or a Hugging Face folder (config.json + *.safetensors)" };
        var prompt = new Argument<string?>("prompt") { Description = "Text to continue", Arity = ArgumentArity.ZeroOrOne };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 64 };
        var threads = DecoderCli.ThreadsOption();
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Keep the K most likely tokens (0 = off)", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below this fraction of the top probability (0 = off)", DefaultValueFactory = _ => 0.05f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "Repetition penalty (1 = off)", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong?>("--seed") { Description = "Seed: the same seed gives the same text" };
        var tokens = DecoderCli.TokensOption();
        var tokenizer = DecoderCli.TokenizerOption();
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Do not stop at end-of-sequence tokens: generate exactly --max-tokens" };
        var stats = new Option<bool>("--stats") { Description = "Print one JSON line of timings and memory to stderr" };
        var noCache = new Option<bool>("--no-kv-cache") { Description = "Recompute the whole sequence for every token (shows what the KV cache saves)" };
        var command = new Command("generate", "Continue a prompt with a local language model (streamed)");
        command.Arguments.Add(model);
        command.Arguments.Add(prompt);
        foreach (var option in new Option[] { maxTokens, threads, temperature, topK, topP, minP, repeatPenalty, seed, tokens, tokenizer, ignoreEos, stats, noCache })
            command.Options.Add(option);

        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                if (parse.GetValue(maxTokens) < 0) return DecoderCli.Fail("generate", "--max-tokens must be ≥ 0");
                using var session = DecoderCli.Open(parse.GetValue(model)!, parse.GetValue(threads), parse.GetValue(tokenizer));
                int[] ids = session.PromptIds(parse.GetValue(prompt), parse.GetValue(tokens));
                int max = parse.GetValue(maxTokens);
                int context = Math.Min(session.Model.ContextLength, ids.Length + Math.Max(max, 1));
                var generator = new Generator(session.Model, session.Detokenizer(), context);
                var options = new GenerationOptions
                {
                    MaxTokens = max,
                    UseKvCache = !parse.GetValue(noCache),
                    StopTokens = parse.GetValue(ignoreEos) ? [] : session.EndTokens,
                    Sampling = new SamplingOptions
                    {
                        Temperature = parse.GetValue(temperature),
                        TopK = parse.GetValue(topK),
                        TopP = parse.GetValue(topP),
                        MinP = parse.GetValue(minP),
                        RepetitionPenalty = parse.GetValue(repeatPenalty),
                        Seed = parse.GetValue(seed),
                    },
                };
                if (parse.GetValue(prompt) is { } text && parse.GetValue(tokens) is null) Console.Out.Write(text);
                await foreach (var token in generator.GenerateAsync(ids, options, cancellationToken))
                {
                    Console.Out.Write(token.Text);
                    Console.Out.Flush();
                }
                Console.Out.WriteLine();
                if (parse.GetValue(stats) && generator.LastStats is { } s)
                    Console.Error.WriteLine(JsonSerializer.Serialize(new
                    {
                        load_s = Math.Round(session.LoadTime.TotalSeconds, 3),
                        prompt_tokens = s.PromptTokens,
                        prompt_tok_per_s = Math.Round(s.PromptTokensPerSecond, 2),
                        gen_tokens = s.GeneratedTokens,
                        gen_tok_per_s = Math.Round(s.GeneratedTokensPerSecond, 2),
                        threads = session.Model.Threads,
                        peak_mb = Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20),
                        kv_cache = !parse.GetValue(noCache),
                        finish = s.FinishReason.ToString(),
                    }));
                return 0;
            }
            catch (OperationCanceledException)
            {
                return 130;
            }
            catch (Exception e) when (DecoderCli.IsRefusal(e))
            {
                return DecoderCli.Fail("generate", e.Message);
            }
        });
        return command;
    }
}
