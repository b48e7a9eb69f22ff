namespace Loom.Generation;

/// <summary>
/// How the next token is chosen from the logits. The defaults are llama.cpp's (temperature 0.8, top-k 40,
/// top-p 0.95, min-p 0.05, no penalties). The stages run in llama.cpp's order:
/// logit bias → penalties → top-k → top-p → min-p → temperature → draw.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Divides the logits before the draw; 0 (or less) means greedy: always the most likely token.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep only the K most likely tokens; 0 disables.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches P (nucleus); 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens less likely than MinP × the probability of the most likely token; 0 disables.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>CTRL-style repetition penalty for tokens seen in the window: positive logits are divided by it,
    /// negative ones multiplied; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Subtracted from a token's logit once per occurrence in the window (OpenAI semantics); 0 disables.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted from a token's logit if it occurs in the window at all; 0 disables.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>How many of the most recent tokens (prompt included) the penalties look at; 0 disables them.</summary>
    public int PenaltyWindow { get; init; } = 64;

    /// <summary>Added to the logits of the given token ids before anything else; −∞ bans a token.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Seed of the draw; the same seed, options and logits give the same tokens. Null: a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Always the most likely token (after bias and penalties).</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    internal void Validate()
    {
        if (float.IsNaN(Temperature)) throw new ArgumentException("Temperature is NaN.");
        if (TopK < 0) throw new ArgumentException($"TopK must be ≥ 0, not {TopK}.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"TopP must be in (0, 1], not {TopP}.");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"MinP must be in [0, 1], not {MinP}.");
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty))
            throw new ArgumentException($"RepetitionPenalty must be positive and finite, not {RepetitionPenalty}.");
        if (!float.IsFinite(FrequencyPenalty) || !float.IsFinite(PresencePenalty))
            throw new ArgumentException("Frequency and presence penalties must be finite.");
        if (PenaltyWindow < 0) throw new ArgumentException($"PenaltyWindow must be ≥ 0, not {PenaltyWindow}.");
    }
}
