using Loom.Tensors;

namespace Loom.Formats;

/// <summary>Element types of safetensors files, named in headers as <c>"F32"</c>, <c>"BF16"</c>, ….</summary>
public enum SafetensorsDType
{
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E4M3,
    F8_E5M2,
}

public static class SafetensorsDTypes
{
    public static int ElementSize(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool or SafetensorsDType.U8 or SafetensorsDType.I8 or SafetensorsDType.F8_E4M3 or SafetensorsDType.F8_E5M2 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>The name used in headers ("F32", "BOOL", …).</summary>
    public static string Name(SafetensorsDType dtype) => dtype == SafetensorsDType.Bool ? "BOOL" : dtype.ToString();

    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        foreach (var candidate in Enum.GetValues<SafetensorsDType>())
            if (Name(candidate) == name)
            {
                dtype = candidate;
                return true;
            }
        dtype = default;
        return false;
    }

    /// <summary>The ggml type with the same element layout, for the dtypes Loom computes with.</summary>
    public static bool TryGetGgmlType(SafetensorsDType dtype, out GgmlType type)
    {
        (bool ok, type) = dtype switch
        {
            SafetensorsDType.F32 => (true, GgmlType.F32),
            SafetensorsDType.F16 => (true, GgmlType.F16),
            SafetensorsDType.BF16 => (true, GgmlType.BF16),
            SafetensorsDType.F64 => (true, GgmlType.F64),
            SafetensorsDType.I8 => (true, GgmlType.I8),
            SafetensorsDType.I16 => (true, GgmlType.I16),
            SafetensorsDType.I32 => (true, GgmlType.I32),
            SafetensorsDType.I64 => (true, GgmlType.I64),
            _ => (false, GgmlType.F32),
        };
        return ok;
    }
}
