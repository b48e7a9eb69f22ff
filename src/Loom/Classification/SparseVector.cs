namespace Loom.Classification;

/// <summary>A sparse feature vector: strictly increasing indices into a space of <see cref="Dimension"/> features.</summary>
public sealed class SparseVector
{
    public SparseVector(int dimension, int[] indices, float[] values)
    {
        if (indices.Length != values.Length) throw new ArgumentException("indices and values differ in length");
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)dimension) throw new ArgumentOutOfRangeException(nameof(indices), $"index {indices[i]} outside 0..{dimension - 1}");
            if (i > 0 && indices[i] <= indices[i - 1]) throw new ArgumentException("indices must be strictly increasing");
        }
        Dimension = dimension;
        Indices = indices;
        Values = values;
    }

    public int Dimension { get; }
    public int[] Indices { get; }
    public float[] Values { get; }

    /// <summary>Stored entries.</summary>
    public int Count => Indices.Length;

    public float[] ToDense()
    {
        var dense = new float[Dimension];
        for (int i = 0; i < Indices.Length; i++) dense[Indices[i]] = Values[i];
        return dense;
    }

    /// <summary>Builds from an index → value map, leaving out zeros.</summary>
    public static SparseVector FromDictionary(int dimension, IReadOnlyDictionary<int, float> entries)
    {
        int[] indices = entries.Where(e => e.Value != 0).Select(e => e.Key).Order().ToArray();
        float[] values = new float[indices.Length];
        for (int i = 0; i < indices.Length; i++) values[i] = entries[indices[i]];
        return new SparseVector(dimension, indices, values);
    }
}
