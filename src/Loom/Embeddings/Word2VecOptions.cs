namespace Loom.Embeddings;

/// <summary>Which word2vec model: predict the context from the word (skip-gram) or the word from its context (CBOW).</summary>
public enum Word2VecArchitecture { SkipGram, Cbow }

/// <summary>word2vec settings; the defaults are those of the original word2vec tool (and gensim), except 1 epoch.</summary>
public sealed record Word2VecOptions
{
    public Word2VecArchitecture Architecture { get; init; } = Word2VecArchitecture.SkipGram;

    /// <summary>Size of each word vector.</summary>
    public int Dimensions { get; init; } = 100;

    /// <summary>Largest distance between a word and a context word (each step draws a window from 1 to this).</summary>
    public int Window { get; init; } = 5;

    /// <summary>Negative samples per positive one, drawn from the unigram distribution raised to 0.75.</summary>
    public int Negative { get; init; } = 5;

    /// <summary>Words seen fewer times are dropped from the vocabulary.</summary>
    public int MinCount { get; init; } = 5;

    /// <summary>Threshold for randomly dropping frequent words (0 disables subsampling).</summary>
    public double Sample { get; init; } = 1e-3;

    public int Epochs { get; init; } = 1;

    /// <summary>Starting learning rate, decayed linearly to <see cref="MinLearningRate"/>; null means 0.025 (skip-gram) or 0.05 (CBOW).</summary>
    public float? LearningRate { get; init; }

    public float MinLearningRate { get; init; } = 1e-4f;

    /// <summary>Training threads; they update the shared vectors without locks (Hogwild).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public int Seed { get; init; } = 1;

    internal void Validate()
    {
        if (Dimensions < 1) throw new ArgumentOutOfRangeException(nameof(Dimensions), "must be positive");
        if (Window < 1) throw new ArgumentOutOfRangeException(nameof(Window), "must be positive");
        if (Negative < 1) throw new ArgumentOutOfRangeException(nameof(Negative), "must be positive (Loom trains with negative sampling)");
        if (MinCount < 1) throw new ArgumentOutOfRangeException(nameof(MinCount), "must be positive");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), "must be positive");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), "must be positive");
        if (Sample < 0) throw new ArgumentOutOfRangeException(nameof(Sample), "must not be negative");
    }
}

/// <summary>Training progress: words processed so far of the total, and the current learning rate.</summary>
public readonly record struct Word2VecProgress(long WordsProcessed, long TotalWords, float LearningRate);
