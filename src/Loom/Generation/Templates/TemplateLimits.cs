namespace Loom.Generation.Templates;

/// <summary>
/// Bounds that make rendering a hostile template fail fast with a <see cref="TemplateLimitException"/>
/// instead of hanging, overflowing the stack or exhausting memory.
/// </summary>
public sealed record TemplateLimits
{
    /// <summary>Longest output, in characters (also bounds any single string or list built while rendering).</summary>
    public int MaxOutputLength { get; init; } = 1 << 22;

    /// <summary>Evaluation steps (expressions, statements, loop iterations) per render.</summary>
    public long MaxOperations { get; init; } = 2_000_000;

    /// <summary>Deepest macro call chain.</summary>
    public int MaxCallDepth { get; init; } = 64;

    /// <summary>Deepest nesting of blocks or expressions accepted by the parser.</summary>
    public int MaxNesting { get; init; } = 200;

    /// <summary>The defaults: generous for every real chat template.</summary>
    public static TemplateLimits Default { get; } = new();
}
