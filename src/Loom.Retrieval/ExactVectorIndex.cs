using System.Numerics.Tensors;

namespace Loom.Retrieval;

/// <summary>Exact cosine search: one SIMD dot product (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>)
/// per stored vector over a contiguous row-major matrix of unit vectors. The reference the HNSW index is measured against.</summary>
public sealed class ExactVectorIndex
{
    private readonly long[] _ids;
    private readonly float[] _unit;

    public int Dimensions { get; }
    public int Count => _ids.Length;

    /// <param name="ids">One id per row.</param>
    /// <param name="vectors">Row-major, <c>ids.Length × dimensions</c>; copied and L2-normalised.</param>
    public ExactVectorIndex(long[] ids, ReadOnlySpan<float> vectors, int dimensions)
    {
        if (ids.Length > 0) ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (vectors.Length != ids.Length * dimensions) throw new ArgumentException($"{vectors.Length} floats for {ids.Length} vectors of {dimensions} dimensions");
        _ids = ids;
        Dimensions = dimensions;
        _unit = vectors.ToArray();
        for (var i = 0; i < ids.Length; i++) VectorMath.Normalize(_unit.AsSpan(i * dimensions, dimensions));
    }

    /// <summary>The <paramref name="k"/> most similar vectors (cosine, descending), optionally only ids that <paramref name="allowed"/> accepts.</summary>
    public IReadOnlyList<(long Id, float Score)> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? allowed = null)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"query has {query.Length} dimensions; the index has {Dimensions}");
        var unit = query.ToArray();
        VectorMath.Normalize(unit);
        var top = new TopK<long>(k);
        for (var i = 0; i < _ids.Length; i++)
        {
            if (allowed is not null && !allowed(_ids[i])) continue;
            top.Add(_ids[i], TensorPrimitives.Dot(unit, _unit.AsSpan(i * Dimensions, Dimensions)));
        }
        return top.ToSortedList();
    }
}

internal static class VectorMath
{
    public static void Normalize(Span<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        if (norm > 0) TensorPrimitives.Divide(v, norm, v);
    }
}

/// <summary>Keeps the k highest-scoring items seen (a min-heap of size k).</summary>
internal sealed class TopK<T>(int k)
{
    private readonly PriorityQueue<T, float> _heap = new();

    public void Add(T item, float score)
    {
        if (k <= 0) return;
        if (_heap.Count < k) _heap.Enqueue(item, score);
        else if (_heap.TryPeek(out _, out var lowest) && score > lowest) _heap.DequeueEnqueue(item, score);
    }

    public List<(T Item, float Score)> ToSortedList()
    {
        var list = new List<(T, float)>(_heap.Count);
        while (_heap.TryDequeue(out var item, out var score)) list.Add((item, score));
        list.Reverse();
        return list;
    }
}
