namespace Loom.Models;

/// <summary>A sequence grew past the model's context length or its cache's capacity.</summary>
public sealed class ContextOverflowException(int needed, int capacity)
    : InvalidOperationException($"The sequence needs {needed} positions but only {capacity} fit (context length / KV-cache capacity).")
{
    /// <summary>Positions the sequence would need.</summary>
    public int Needed { get; } = needed;

    /// <summary>Positions available.</summary>
    public int Capacity { get; } = capacity;
}
