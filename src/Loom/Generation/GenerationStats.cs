namespace Loom.Generation;

/// <summary>Counts and timings of one generation.</summary>
public sealed record GenerationStats
{
    /// <summary>Tokens in the prompt.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Prompt tokens whose keys and values were reused from the cache (not recomputed).</summary>
    public int ReusedPromptTokens { get; init; }

    /// <summary>Time to process the prompt (the first forward pass).</summary>
    public TimeSpan PromptTime { get; init; }

    /// <summary>Tokens generated (stop tokens excluded).</summary>
    public int GeneratedTokens { get; init; }

    /// <summary>Time spent generating after the prompt.</summary>
    public TimeSpan GenerationTime { get; init; }

    /// <summary>Why generation ended.</summary>
    public FinishReason FinishReason { get; init; }

    /// <summary>Prompt tokens actually computed per second.</summary>
    public double PromptTokensPerSecond => Rate(PromptTokens - ReusedPromptTokens, PromptTime);

    /// <summary>Generated tokens per second.</summary>
    public double GeneratedTokensPerSecond => Rate(GeneratedTokens, GenerationTime);

    private static double Rate(int count, TimeSpan time) => time > TimeSpan.Zero ? count / time.TotalSeconds : 0;
}
