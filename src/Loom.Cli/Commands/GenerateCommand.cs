using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loom.Formats;
using Loom.Generation;
using Loom.Models;

namespace Loom.Cli.Commands;

/// <summary><c>loom generate MODEL --tokens 1,2,3 [--max-tokens N] [sampling options] [--stats]</c>: streams a continuation.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "a GGUF decoder (gpt2, llama, qwen2, phi3)" };
        var prompt = new Argument<string?>("prompt") { Description = "prompt text (needs a GGUF tokenizer loader; use --tokens)", Arity = ArgumentArity.ZeroOrOne };
        var tokens = new Option<string?>("--tokens") { Description = "prompt token ids, comma-separated" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "0 = off", DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { Description = "1 = off", DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { Description = "0 = off", DefaultValueFactory = _ => 0.05f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "1 = off", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong?>("--seed") { Description = "same seed, same output" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "generate exactly --max-tokens" };
        var stats = new Option<bool>("--stats") { Description = "print one JSON line of timings to stderr" };
        var noKvCache = new Option<bool>("--no-kv-cache") { Description = "recompute the whole sequence for every token (to time what the cache saves)" };
        var command = new Command("generate", "Continue a prompt with a local decoder, streaming the tokens");
        command.Arguments.Add(model);
        command.Arguments.Add(prompt);
        foreach (var option in new Option[] { tokens, maxTokens, threads, temperature, topK, topP, minP, repeatPenalty, seed, ignoreEos, stats, noKvCache })
            command.Options.Add(option);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                int[] ids = DecoderSetup.PromptTokens(parseResult.GetValue(prompt), parseResult.GetValue(tokens));
                using var setup = DecoderSetup.Load(parseResult.GetValue(model)!, parseResult.GetValue(threads));
                var sampling = new SamplingOptions
                {
                    Temperature = parseResult.GetValue(temperature),
                    TopK = parseResult.GetValue(topK),
                    TopP = parseResult.GetValue(topP),
                    MinP = parseResult.GetValue(minP),
                    RepetitionPenalty = parseResult.GetValue(repeatPenalty),
                    Seed = parseResult.GetValue(seed),
                };
                var options = new GenerationOptions
                {
                    MaxTokens = parseResult.GetValue(maxTokens),
                    Sampling = sampling,
                    StopTokens = setup.EndToken is int end && !parseResult.GetValue(ignoreEos) ? [end] : [],
                    UseKvCache = !parseResult.GetValue(noKvCache),
                };
                var vocabulary = setup.Vocabulary;
                var generator = vocabulary is null
                    ? new Generator(setup.Model, () => new ByteDetokenizer(id => System.Text.Encoding.UTF8.GetBytes($" [{id}]")))
                    : new Generator(setup.Model, () => new ByteDetokenizer(id => vocabulary[id]));
                await foreach (var token in generator.GenerateAsync(ids, options, cancellationToken))
                    output.Write(token.Text);
                output.WriteLine();

                if (parseResult.GetValue(stats))
                {
                    var s = generator.LastStats!;
                    error.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["load_s"] = Math.Round(setup.LoadTime.TotalSeconds, 3),
                        ["prompt_tokens"] = s.PromptTokens,
                        ["prompt_tok_per_s"] = Math.Round(s.PromptTokensPerSecond, 2),
                        ["gen_tokens"] = s.GeneratedTokens,
                        ["gen_tok_per_s"] = Math.Round(s.GeneratedTokensPerSecond, 2),
                        ["threads"] = parseResult.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount,
                        ["peak_mb"] = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
                        ["finish"] = s.FinishReason.ToString().ToLowerInvariant(),
                    }));
                }
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or ModelFormatException or ContextOverflowException or IOException)
            {
                error.WriteLine($"loom generate: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
