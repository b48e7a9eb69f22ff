using Loom.Formats;
using Loom.Tensors;

namespace Loom.Models.Decoder;

/// <summary>
/// The weight-loading seam: reads named tensors from a GGUF file or a safetensors model and checks each against the
/// shape the configuration implies, so a file whose tensors do not match its declared architecture is refused by name.
/// </summary>
internal sealed class DecoderTensorReader(string? path, Func<string, bool> exists, Func<string, WeightMatrix> matrix)
{
    public static DecoderTensorReader For(GgufFile file) =>
        new(file.Path, name => file.TryGetTensor(name, out _), file.GetMatrix);

    public static DecoderTensorReader For(SafetensorsModel model) =>
        new(model.Path, name => model.TryGetTensor(name, out _), model.GetMatrix);

    public string? Path => path;

    public bool Has(string name) => exists(name);

    /// <summary>A matrix of <paramref name="rows"/> outputs × <paramref name="cols"/> inputs.</summary>
    public WeightMatrix Matrix(string name, int rows, int cols)
    {
        if (!exists(name)) throw new ModelFormatException(path, $"tensor '{name}' is missing");
        var m = matrix(name);
        if (m.Rows != rows || m.Cols != cols)
            throw new ModelFormatException(path, $"tensor '{name}' is {m.Rows} × {m.Cols}, but the configuration implies {rows} × {cols}");
        return m;
    }

    public WeightMatrix? OptionalMatrix(string name, int rows, int cols) => exists(name) ? Matrix(name, rows, cols) : null;

    /// <summary>
    /// A matrix stored transposed ([inputs × outputs], as GPT-2's Conv1D keeps it), rearranged into rows of outputs.
    /// Only 16- and 32-bit floats can be transposed; the copy keeps the file's type.
    /// </summary>
    public WeightMatrix TransposedMatrix(string name, int rows, int cols)
    {
        var stored = Matrix(name, cols, rows);
        int size = stored.Type switch
        {
            GgmlType.F32 => 4,
            GgmlType.F16 or GgmlType.BF16 => 2,
            _ => throw new ModelFormatException(path, $"tensor '{name}' of type {stored.Type} cannot be transposed"),
        };
        var source = stored.Data.Span;
        var result = new byte[source.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                source.Slice((c * rows + r) * size, size).CopyTo(result.AsSpan((r * cols + c) * size, size));
        return new WeightMatrix(stored.Type, rows, cols, result);
    }

    /// <summary>A 1-D tensor (norm weight, bias) of <paramref name="length"/> values, converted to f32.</summary>
    public float[] Vector(string name, int length)
    {
        if (!exists(name)) throw new ModelFormatException(path, $"tensor '{name}' is missing");
        var m = matrix(name);
        if ((long)m.Rows * m.Cols != length)
            throw new ModelFormatException(path, $"tensor '{name}' has {(long)m.Rows * m.Cols} values, but the configuration implies {length}");
        var values = new float[length];
        Quantization.Dequantize(m.Type, m.Data.Span, values);
        return values;
    }

    public float[]? OptionalVector(string name, int length) => exists(name) ? Vector(name, length) : null;
}
