using Loom.Generation;
using Loom.Models;

namespace Loom.Tests.Generation;

/// <summary>Generation mechanics with <see cref="ScriptedModel"/> (no real model): streaming, stops, cache reuse.</summary>
public class GeneratorTests
{
    private const int EndOfText = 100257; // cl100k <|endoftext|>
    private static readonly int[] Script = [.. DetokenizerTests.Cl100k.EncodeToIds(DetokenizerTests.Multibyte)];

    private static ScriptedModel Model(int contextLength = 512) => new(Script, 100277, EndOfText, contextLength);

    private static async Task<List<GeneratedToken>> Collect(IAsyncEnumerable<GeneratedToken> stream)
    {
        var tokens = new List<GeneratedToken>();
        await foreach (var t in stream) tokens.Add(t);
        return tokens;
    }

    private static GenerationOptions Greedy(int maxTokens = 256, params string[] stops) =>
        new() { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, StopTokens = [EndOfText], StopStrings = stops };

    [Fact]
    public async Task Streams_the_continuation_and_stops_at_the_end_token()
    {
        var generator = new Generator(Model(), DetokenizerTests.Cl100k);
        var tokens = await Collect(generator.GenerateAsync(Script[..3], Greedy()));

        Assert.Equal(Script[3..], tokens.Select(t => t.TokenId));
        string prefix = DetokenizerTests.Cl100k.Decode(Script[..3])!;
        Assert.Equal(DetokenizerTests.Multibyte[prefix.Length..], string.Concat(tokens.Select(t => t.Text)));
        Assert.DoesNotContain(tokens, t => t.Text.Contains('\uFFFD'));
        // Logit +20 against 0 over 100 277 tokens: log p = −log(1 + 100276·e^−20).
        Assert.All(tokens, t => Assert.Equal(-Math.Log(1 + 100276 * Math.Exp(-20)), t.LogProbability, 1e-6));

        var stats = generator.LastStats!;
        Assert.Equal(FinishReason.StopToken, stats.FinishReason);
        Assert.Equal(3, stats.PromptTokens);
        Assert.Equal(Script.Length - 3, stats.GeneratedTokens);
    }

    [Fact]
    public async Task Max_tokens_limits_the_output()
    {
        var generator = new Generator(Model(), DetokenizerTests.Cl100k);
        var tokens = await Collect(generator.GenerateAsync(Script[..2], Greedy(maxTokens: 4)));
        Assert.Equal(Script[2..6], tokens.Select(t => t.TokenId));
        Assert.Equal(FinishReason.Length, generator.LastStats!.FinishReason);
    }

    [Fact]
    public async Task Stop_string_ends_generation_and_is_never_emitted()
    {
        var generator = new Generator(Model(), DetokenizerTests.Cl100k);
        var tokens = await Collect(generator.GenerateAsync(Script[..2], Greedy(256, "世界")));
        string text = string.Concat(tokens.Select(t => t.Text));
        string full = DetokenizerTests.Multibyte[DetokenizerTests.Cl100k.Decode(Script[..2])!.Length..];

        Assert.Equal(full[..full.IndexOf("世界", StringComparison.Ordinal)], text);
        Assert.Equal(FinishReason.StopString, generator.LastStats!.FinishReason);
    }

    [Fact]
    public async Task Text_that_only_looks_like_a_stop_string_is_released()
    {
        // "naïve c" starts like the stop string "naïve cx" but never completes it.
        var generator = new Generator(Model(), DetokenizerTests.Cl100k);
        var tokens = await Collect(generator.GenerateAsync(Script[..2], Greedy(256, "naïve cx", "!!")));
        string full = DetokenizerTests.Multibyte[DetokenizerTests.Cl100k.Decode(Script[..2])!.Length..];
        Assert.Equal(full, string.Concat(tokens.Select(t => t.Text)));
        Assert.Equal(FinishReason.StopToken, generator.LastStats!.FinishReason);
    }

    [Fact]
    public async Task A_prompt_sharing_a_prefix_reuses_the_cache_and_gives_the_same_tokens()
    {
        var model = Model();
        var generator = new Generator(model, DetokenizerTests.Cl100k);
        await Collect(generator.GenerateAsync(Script[..4], Greedy(maxTokens: 3)));
        int before = model.ForwardedTokens;

        // The next prompt extends the previous prompt and its output (like a chat's next turn).
        var tokens = await Collect(generator.GenerateAsync(Script[..9], Greedy(maxTokens: 2)));
        Assert.Equal(Script[9..11], tokens.Select(t => t.TokenId));
        Assert.Equal(6, generator.LastStats!.ReusedPromptTokens); // 4 prompt + 2 fed back generated tokens
        Assert.Equal(3 + 1, model.ForwardedTokens - before);      // 3 new prompt tokens, then 1 decode step

        // A diverging prompt keeps only the common prefix, and the cache still spells the right sequence.
        int[] other = [Script[0], Script[1], 5, 6];
        var diverging = await Collect(generator.GenerateAsync(other, Greedy(maxTokens: 1)));
        Assert.Equal(2, generator.LastStats!.ReusedPromptTokens);
        Assert.Equal(0, diverging.Single().TokenId); // the double predicts 0 off-script
        var again = await Collect(generator.GenerateAsync(Script[..5], Greedy(maxTokens: 1)));
        Assert.Equal(Script[5], again.Single().TokenId);
    }

    [Fact]
    public async Task Cancellation_stops_the_stream_and_is_recorded()
    {
        var generator = new Generator(Model(), DetokenizerTests.Cl100k);
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in generator.GenerateAsync(Script[..2], Greedy(), cts.Token))
                if (++seen == 2) cts.Cancel();
        });
        Assert.Equal(2, seen);
        Assert.Equal(FinishReason.Cancelled, generator.LastStats!.FinishReason);
    }

    [Fact]
    public async Task Context_limits_are_enforced()
    {
        var generator = new Generator(Model(contextLength: 8), DetokenizerTests.Cl100k);
        await Assert.ThrowsAsync<ContextOverflowException>(() => Collect(generator.GenerateAsync(Script[..9], Greedy())));

        var tokens = await Collect(generator.GenerateAsync(Script[..5], Greedy()));
        Assert.Equal(Script[5..9], tokens.Select(t => t.TokenId)); // positions 5, 6, 7 fed back; the 4th is not fed
        Assert.Equal(FinishReason.ContextFull, generator.LastStats!.FinishReason);
    }

    [Fact]
    public async Task Bad_requests_are_refused()
    {
        var generator = new Generator(Model(), DetokenizerTests.Cl100k);
        await Assert.ThrowsAsync<ArgumentException>(() => Collect(generator.GenerateAsync([], Greedy())));
        await Assert.ThrowsAsync<ArgumentException>(() => Collect(generator.GenerateAsync([1, 200_000], Greedy())));
        await Assert.ThrowsAsync<ArgumentException>(() => Collect(generator.GenerateAsync([1], Greedy(5, ""))));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Generator(Model(contextLength: 8), DetokenizerTests.Cl100k, contextSize: 9));

        await using var running = generator.GenerateAsync(Script[..2], Greedy()).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => Collect(generator.GenerateAsync(Script[..2], Greedy())));
    }

    [Fact]
    public async Task Without_the_kv_cache_the_output_is_the_same_but_every_step_recomputes_the_sequence()
    {
        var cached = Model();
        var withCache = await Collect(new Generator(cached, DetokenizerTests.Cl100k).GenerateAsync(Script[..3], Greedy(maxTokens: 6)));
        var uncached = Model();
        var withoutCache = await Collect(new Generator(uncached, DetokenizerTests.Cl100k).GenerateAsync(Script[..3], Greedy(maxTokens: 6) with { UseKvCache = false }));

        Assert.Equal(withCache, withoutCache);
        Assert.Equal(3 + 5, cached.ForwardedTokens);                       // prompt, then one token per step
        Assert.Equal(3 + Enumerable.Range(4, 5).Sum(), uncached.ForwardedTokens); // prompt, then 4, 5, … 8 tokens
    }
}
