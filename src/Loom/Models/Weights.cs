using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models;

/// <summary>Shape-checked access to GGUF tensors for the decoders: a wrong or missing tensor is named.</summary>
internal static class Weights
{
    /// <summary>A [rows × cols] matrix in its file type; rows −1 accepts any row count.</summary>
    public static WeightMatrix Matrix(GgufFile file, string name, int rows, int cols)
    {
        if (!file.TryGetTensor(name, out var tensor)) throw new ModelFormatException(file.Path, 0, $"tensor '{name}' is missing");
        var matrix = file.GetMatrix(name);
        if (tensor.Dimensions.Count != 2 || (rows >= 0 && matrix.Rows != rows) || matrix.Cols != cols)
            throw new ModelFormatException(file.Path, tensor.FileOffset,
                $"tensor '{name}' is [{string.Join(", ", tensor.Dimensions)}], expected [{cols}, {(rows >= 0 ? rows : "n")}]");
        return matrix;
    }

    /// <summary>A vector, decoded to f32.</summary>
    public static float[] Vector(GgufFile file, string name, int length)
    {
        if (!file.TryGetTensor(name, out var tensor)) throw new ModelFormatException(file.Path, 0, $"tensor '{name}' is missing");
        if (tensor.ElementCount != length)
            throw new ModelFormatException(file.Path, tensor.FileOffset, $"tensor '{name}' has {tensor.ElementCount} values, expected {length}");
        var values = new float[length];
        Quantization.Dequantize(tensor.Type, file.GetData(tensor).Span, values);
        return values;
    }

    /// <summary>Decodes row <paramref name="row"/> of a matrix (an embedding lookup).</summary>
    public static void Row(WeightMatrix matrix, int row, Span<float> destination) =>
        Quantization.Dequantize(matrix.Type, matrix.Data.Span.Slice(row * matrix.RowBytes, matrix.RowBytes), destination);
}
