using Loom.Generation;

namespace Loom.Tests.Generation;

public class SamplerTests
{
    /// <summary>
    /// Float64 reference of llama.cpp's chain (bias → penalties → top-k → top-p → min-p → temperature → softmax),
    /// written from its documented semantics with plain sorting, independent of the sampler's heap and buffers.
    /// </summary>
    private static Dictionary<int, double> Reference(float[] logits, SamplingOptions o, IReadOnlyList<int> history)
    {
        double[] l = logits.Select(x => (double)x).ToArray();
        if (o.LogitBias is not null) foreach (var (id, b) in o.LogitBias) l[id] += b;
        var window = history.Skip(Math.Max(0, history.Count - o.PenaltyWindow)).ToList();
        foreach (var g in window.GroupBy(t => t))
        {
            double v = l[g.Key];
            v = v <= 0 ? v * o.RepetitionPenalty : v / o.RepetitionPenalty;
            l[g.Key] = v - g.Count() * o.FrequencyPenalty - o.PresencePenalty;
        }
        if (o.Temperature <= 0)
        {
            int best = Enumerable.Range(0, l.Length).MaxBy(i => l[i]);
            return new() { [best] = 1.0 };
        }
        var c = Enumerable.Range(0, l.Length).OrderByDescending(i => l[i]).ThenBy(i => i).ToList();
        if (o.TopK > 0) c = c.Take(o.TopK).ToList();
        if (o.TopP < 1)
        {
            double max = l[c[0]], z = c.Sum(i => Math.Exp(l[i] - max)), cum = 0;
            int keep = c.Count;
            for (int j = 0; j < c.Count; j++)
            {
                cum += Math.Exp(l[c[j]] - max) / z;
                if (cum >= o.TopP) { keep = j + 1; break; }
            }
            c = c.Take(keep).ToList();
        }
        if (o.MinP > 0)
        {
            double pmax = c.Max(i => l[i]);
            c = c.Where(i => Math.Exp(l[i] - pmax) >= o.MinP).ToList();
        }
        double m = c.Max(i => l[i] / o.Temperature);
        double zt = c.Sum(i => Math.Exp(l[i] / o.Temperature - m));
        return c.ToDictionary(i => i, i => Math.Exp(l[i] / o.Temperature - m) / zt);
    }

    private static float[] RandomLogits(int n, int seed, float scale = 3f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    public static TheoryData<string> Configurations => new()
    {
        "defaults", "topk-only", "topp-only", "minp-only", "all-with-penalties", "bias", "hot", "cold",
    };

    private static SamplingOptions Config(string name) => name switch
    {
        "defaults" => new SamplingOptions(),
        "topk-only" => new() { Temperature = 1, TopK = 7, TopP = 1, MinP = 0 },
        "topp-only" => new() { Temperature = 1, TopK = 0, TopP = 0.6f, MinP = 0 },
        "minp-only" => new() { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.2f },
        "all-with-penalties" => new() { Temperature = 0.7f, TopK = 50, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.3f, FrequencyPenalty = 0.4f, PresencePenalty = 0.6f, PenaltyWindow = 8 },
        "bias" => new() { Temperature = 1, TopK = 20, TopP = 0.95f, MinP = 0, LogitBias = new Dictionary<int, float> { [3] = 5f, [0] = float.NegativeInfinity } },
        "hot" => new() { Temperature = 2.5f, TopK = 0, TopP = 0.99f, MinP = 0 },
        "cold" => new() { Temperature = 0.2f, TopK = 0, TopP = 1, MinP = 0.01f },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Filtered_distribution_matches_float64_reference(string configuration)
    {
        var options = Config(configuration);
        float[] logits = RandomLogits(2000, configuration.Length);
        int[] history = [5, 9, 5, 1999, 42, 5, 17, 9, 3, 3, 800];
        var sampler = new Sampler(options);
        foreach (int t in history) sampler.Accept(t);

        var expected = Reference(logits, options, history);
        var actual = sampler.Distribution(logits);

        Assert.Equal(expected.Keys.Order(), actual.Select(p => p.TokenId).Order());
        foreach (var p in actual) Assert.Equal(expected[p.TokenId], p.Probability, 1e-6);
        Assert.True(actual.Count > 1 || configuration == "cold", "configuration should leave several candidates");
    }

    /// <summary>Large vocabularies take the partial-selection paths of top-p (nucleus in the best 256, in the best 4096, or neither).</summary>
    [Theory]
    [InlineData(8.0, 0.9f, 1, 256)]          // a few dominant tokens: nucleus within the best 256
    [InlineData(1.5, 0.2f, 257, 4096)]       // a broad head: within the best 4096
    [InlineData(0.1, 0.95f, 4097, 50_000)]   // nearly flat: the full sort
    public void Top_p_on_a_large_vocabulary_matches_the_reference(double headBoost, float topP, int minNucleus, int maxNucleus)
    {
        var random = new Random(11);
        float[] logits = Enumerable.Range(0, 50_000)
            .Select(i => (float)((i % 997 == 0 ? headBoost * 3 : 0) + (random.NextDouble() * 2 - 1) * headBoost)).ToArray();
        var options = new SamplingOptions { Temperature = 0.9f, TopK = 0, TopP = topP, MinP = 0 };
        var expected = Reference(logits, options, []);
        var actual = new Sampler(options).Distribution(logits);

        Assert.InRange(expected.Count, minNucleus, maxNucleus);
        Assert.Equal(expected.Keys.Order(), actual.Select(p => p.TokenId).Order());
        foreach (var p in actual) Assert.Equal(expected[p.TokenId], p.Probability, 1e-6);
    }

    [Fact]
    public void Greedy_takes_argmax_after_penalties()
    {
        float[] logits = [2.0f, 1.9f, -1f, -0.5f];
        var plain = new Sampler(SamplingOptions.Greedy);
        Assert.Equal(0, plain.Sample(logits));

        // 2.0 / 1.1 = 1.82 < 1.9: the repeated token loses its lead.
        var penalised = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.1f });
        penalised.Accept(0);
        Assert.Equal(1, penalised.Sample(logits));

        // Negative logits are multiplied, so a penalty always makes a token less likely: -0.5 * 3 = -1.5 < -1.
        var negative = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 3f, LogitBias = new Dictionary<int, float> { [0] = -10, [1] = -10 } });
        negative.Accept(3);
        Assert.Equal(2, negative.Sample(logits));
    }

    [Fact]
    public void Penalty_window_forgets_old_tokens()
    {
        float[] logits = [2.0f, 1.9f];
        var sampler = new Sampler(SamplingOptions.Greedy with { PresencePenalty = 1f, PenaltyWindow = 2 });
        sampler.Accept(0);
        Assert.Equal(1, sampler.Sample(logits));
        sampler.Accept(1);
        sampler.Accept(1); // token 0 has left the window of 2
        Assert.Equal(0, sampler.Sample(logits));
    }

    [Fact]
    public void Same_seed_gives_same_tokens_and_different_seeds_differ()
    {
        float[] logits = RandomLogits(500, 7, 1f);
        var options = new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 1234 };
        int[] Draw(SamplingOptions o) { var s = new Sampler(o); return Enumerable.Range(0, 64).Select(_ => s.Sample(logits)).ToArray(); }

        Assert.Equal(Draw(options), Draw(options));
        Assert.NotEqual(Draw(options), Draw(options with { Seed = 1235 }));
    }

    /// <summary>Pearson chi-square of 20 000 draws against the float64 reference distribution.</summary>
    [Theory]
    [InlineData("plain")]
    [InlineData("filtered")]
    public void Draws_follow_the_filtered_distribution(string which)
    {
        float[] logits = [1.0f, 0.5f, 0.2f, 0.0f, -0.3f, -0.7f, -1.0f, 0.8f, 0.1f, -2.0f];
        var options = which == "plain"
            ? new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 42 }
            : new SamplingOptions { Temperature = 0.6f, TopK = 6, TopP = 0.9f, MinP = 0.1f, Seed = 42 };
        var expected = Reference(logits, options, []);
        var sampler = new Sampler(options);
        const int draws = 20_000;
        var counts = new int[logits.Length];
        for (int i = 0; i < draws; i++) counts[sampler.Sample(logits)]++;

        for (int t = 0; t < logits.Length; t++)
            if (!expected.ContainsKey(t)) Assert.Equal(0, counts[t]);
        double chi2 = expected.Sum(kv => Math.Pow(counts[kv.Key] - draws * kv.Value, 2) / (draws * kv.Value));
        // Critical values at p = 0.001 for df = 1…9; a wrong temperature or filter gives chi2 in the hundreds.
        double[] critical = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88];
        int df = expected.Count - 1;
        Assert.True(df >= 2, $"only {expected.Count} candidates");
        Assert.True(chi2 < critical[df - 1], $"chi2 = {chi2:F2} with df = {df}");

        // The same test rejects a wrong distribution: the draws against the unfiltered temperature-1 softmax.
        if (which == "filtered")
        {
            var wrong = Reference(logits, new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0 }, []);
            double chi2Wrong = wrong.Sum(kv => Math.Pow(counts[kv.Key] - draws * kv.Value, 2) / (draws * kv.Value));
            Assert.True(chi2Wrong > 1000, $"chi2 against a wrong distribution only {chi2Wrong:F0}");
        }
    }

    [Fact]
    public void Invalid_options_and_bias_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { TopP = 0 }));
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { MinP = 1.5f }));
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { RepetitionPenalty = 0 }));
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { Temperature = float.NaN }));
        var biased = new Sampler(new SamplingOptions { LogitBias = new Dictionary<int, float> { [10] = 1 } });
        Assert.Throws<ArgumentException>(() => biased.Sample(new float[5]));
        var banned = new Sampler(new SamplingOptions { LogitBias = new Dictionary<int, float> { [0] = float.NegativeInfinity, [1] = float.NegativeInfinity } });
        Assert.Throws<InvalidOperationException>(() => banned.Sample(new float[2]));
    }
}
