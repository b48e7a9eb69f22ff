using System.Numerics.Tensors;

namespace Loom.Tensors;

/// <summary>Numerically stable softmax.</summary>
public static class Softmax
{
    /// <summary>Softmax of a row, in place.</summary>
    public static void InPlace(Span<float> row) => TensorPrimitives.SoftMax(row, row);
}
