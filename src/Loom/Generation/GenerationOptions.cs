namespace Loom.Generation;

/// <summary>What to generate and when to stop.</summary>
public sealed record GenerationOptions
{
    /// <summary>At most this many new tokens.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>How each token is chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Token ids that end generation (the model's end-of-sequence / end-of-turn tokens). They are not emitted.</summary>
    public IReadOnlyCollection<int> StopTokens { get; init; } = [];

    /// <summary>Texts that end generation; neither they nor anything after them is emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>
    /// False recomputes the whole sequence for every new token instead of reusing cached keys and values: the
    /// book's chapter 3 comparison that shows what the KV cache saves. The output is the same, only slower.
    /// </summary>
    public bool UseKvCache { get; init; } = true;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxTokens);
        ArgumentNullException.ThrowIfNull(Sampling);
        ArgumentNullException.ThrowIfNull(StopTokens);
        ArgumentNullException.ThrowIfNull(StopStrings);
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("A stop string is empty.");
    }
}
