namespace Loom.Models;

/// <summary>
/// The keys and values of one sequence, preallocated for <see cref="Capacity"/> positions, plus the
/// token ids they were computed from so that a new prompt can reuse the common prefix.
/// Layout per layer: row-major [position × KvDimension], keys and values in separate arrays.
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;
    private readonly int[] _tokens;

    /// <param name="layers">Transformer layers.</param>
    /// <param name="kvDimension">Key (= value) width per position: KV heads × head dimension.</param>
    /// <param name="capacity">Positions to preallocate.</param>
    public KvCache(int layers, int kvDimension, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        long perLayer = (long)kvDimension * capacity;
        if (perLayer > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"{capacity} positions × {kvDimension} floats do not fit one array per layer.");

        Layers = layers;
        KvDimension = kvDimension;
        Capacity = capacity;
        _keys = new float[layers][];
        _values = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = new float[perLayer];
            _values[l] = new float[perLayer];
        }
        _tokens = new int[capacity];
    }

    /// <summary>Transformer layers.</summary>
    public int Layers { get; }

    /// <summary>Floats per position in each of keys and values.</summary>
    public int KvDimension { get; }

    /// <summary>Positions preallocated.</summary>
    public int Capacity { get; }

    /// <summary>Positions filled and committed: the next token goes to position <see cref="Length"/>.</summary>
    public int Length { get; private set; }

    /// <summary>The token ids of positions 0 … Length−1.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);

    /// <summary>All key rows of <paramref name="layer"/> (Capacity × KvDimension); rows ≥ Length are scratch.</summary>
    public Span<float> Keys(int layer) => _keys[layer];

    /// <summary>All value rows of <paramref name="layer"/> (Capacity × KvDimension); rows ≥ Length are scratch.</summary>
    public Span<float> Values(int layer) => _values[layer];

    /// <summary>Throws unless <paramref name="count"/> more positions fit.</summary>
    public void EnsureRoom(int count)
    {
        if ((long)Length + count > Capacity) throw new ContextOverflowException(Length + count, Capacity);
    }

    /// <summary>
    /// Marks <paramref name="tokens"/> as appended at positions Length … Length+n−1. Models call this after
    /// writing the rows of every layer.
    /// </summary>
    public void Commit(ReadOnlySpan<int> tokens)
    {
        EnsureRoom(tokens.Length);
        tokens.CopyTo(_tokens.AsSpan(Length));
        Length += tokens.Length;
    }

    /// <summary>Forgets every position from <paramref name="length"/> on.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    /// <summary>Forgets everything.</summary>
    public void Clear() => Length = 0;

    /// <summary>
    /// Keeps only the positions whose tokens start <paramref name="prompt"/> and returns how many were kept:
    /// the caller feeds prompt[kept..] only. Keys and values depend on the whole prefix, so the reuse is exact.
    /// </summary>
    public int TruncateToCommonPrefix(ReadOnlySpan<int> prompt)
    {
        int common = Tokens.CommonPrefixLength(prompt);
        Truncate(common);
        return common;
    }
}
