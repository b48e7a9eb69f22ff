namespace Loom.Tensors;

/// <summary>
/// An f32 weight matrix laid out once in the order the GEMM micro-kernel reads it, so that repeated products
/// (every batch of an encoder, every prompt of a decoder) stream the panels instead of re-decoding and transposing the
/// weights on each call. For each slice of <see cref="Gemm.KC"/> along k, the columns of Wᵀ come in panels of
/// <see cref="Nr"/>, each stored k-major (nr consecutive floats per k), the last panel zero-padded.
/// Costs one extra copy of the weights in f32, which is why only f32 weights are packed (see <see cref="Gemm"/>).
/// </summary>
internal sealed unsafe class PackedWeights
{
    private readonly float[] _panels;

    private PackedWeights(int nr, int columns, int k, float[] panels)
    {
        Nr = nr;
        PaddedColumns = columns;
        K = k;
        _panels = panels;
    }

    /// <summary>Panel width (the micro-kernel's NR).</summary>
    public int Nr { get; }

    /// <summary>Output columns rounded up to whole panels.</summary>
    public int PaddedColumns { get; }

    public int K { get; }

    /// <summary>The panels; pinned, so the pointer stays valid for the object's life.</summary>
    public float* Pointer => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _panels[0]);

    /// <summary>Start of the panel holding columns [j, j + nr) of the slice starting at k0 (k0 a multiple of KC).</summary>
    public float* Panel(int k0, int j) => Pointer + (long)k0 * PaddedColumns + (long)j * Math.Min(Gemm.KC, K - k0);

    /// <summary>Decodes <paramref name="w"/> (row-major, any type) into panels of <paramref name="nr"/> columns.</summary>
    public static PackedWeights Create(WeightMatrix w, int nr)
    {
        int n = w.Rows, k = w.Cols;
        int padded = (n + nr - 1) / nr * nr;
        var panels = GC.AllocateArray<float>(checked(padded * k), pinned: true);
        var row = new float[k];
        var data = w.Data.Span;
        for (int j = 0; j < n; j++)
        {
            Quantization.DequantizeBlocks(w.Type, data.Slice(j * w.RowBytes, w.RowBytes), row, Kernels.Path);
            int panel = j / nr, lane = j % nr;
            for (int k0 = 0; k0 < k; k0 += Gemm.KC)
            {
                int kc = Math.Min(Gemm.KC, k - k0);
                int at = k0 * padded + panel * nr * kc + lane;
                for (int p = 0; p < kc; p++) panels[at + p * nr] = row[k0 + p];
            }
        }
        return new PackedWeights(nr, padded, k, panels);
    }
}
