namespace Loom.Generation;

/// <summary>A candidate token and its probability.</summary>
public readonly record struct TokenProbability(int TokenId, double Probability);
