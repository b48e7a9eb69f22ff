namespace Loom.Retrieval;

/// <summary>Metadata filters applied before ranking. Null members do not filter.</summary>
public sealed record SearchFilter
{
    /// <summary>Only documents whose path starts with this (e.g. a folder).</summary>
    public string? PathPrefix { get; init; }
    /// <summary>Only chunks under this section heading (case-insensitive), e.g. "DESCRIPTION".</summary>
    public string? Section { get; init; }
    /// <summary>Only documents whose title contains this (case-insensitive).</summary>
    public string? TitleContains { get; init; }

    internal bool IsEmpty => PathPrefix is null && Section is null && TitleContains is null;
}
