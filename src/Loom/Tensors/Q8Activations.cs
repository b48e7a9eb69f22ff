using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>
/// Rows of activations rounded to Q8_0 blocks as llama.cpp's CPU backend rounds them before multiplying by quantized
/// weights: per 32 values, d = amax / 127 stored as f16 and q = round-half-to-even(x · 127 / amax) in [−127, 127].
/// Quants are kept row-major [rows × k] as int8 and scales [rows × k/32] as f32 (the f16 value, widened), so the
/// integer kernels load them without unpacking. Every path produces the same bytes.
/// </summary>
internal sealed unsafe class Q8Activations
{
    private sbyte[] _quants = [];
    private float[] _scales = [];

    public int Rows { get; private set; }
    public int Cols { get; private set; }

    /// <summary>Quants of row r start at <c>Quants + r·Cols</c>.</summary>
    public sbyte* Quants => (sbyte*)Unsafe.AsPointer(ref _quants[0]);

    /// <summary>Scales of row r start at <c>Scales + r·Cols/32</c>.</summary>
    public float* Scales => (float*)Unsafe.AsPointer(ref _scales[0]);

    /// <summary>Rounds <paramref name="rows"/> × <paramref name="cols"/> values (cols a multiple of 32).</summary>
    /// <param name="unsigned">store q + 128 as unsigned bytes (the operand form of VNNI's vpdpbusd) instead of q</param>
    public void Quantize(float* x, int rows, int cols, int threads, KernelPath path, bool unsigned = false)
    {
        if (cols % 32 != 0) throw new ArgumentException($"{cols} columns are not a whole number of 32-value blocks", nameof(cols));
        long values = (long)rows * cols;
        if (_quants.Length < values)
        {
            _quants = GC.AllocateUninitializedArray<sbyte>(checked((int)values), pinned: true);
            _scales = GC.AllocateUninitializedArray<float>((int)(values / 32), pinned: true);
        }
        Rows = rows;
        Cols = cols;
        sbyte* q = Quants;
        float* d = Scales;
        nint xa = (nint)x, qa = (nint)q, da = (nint)d;
        int blocksPerRow = cols / 32;
        // Rounding is O(rows·cols) against the product's O(rows·cols·n): split it over threads only for big batches.
        int tasks = rows >= 16 ? Math.Min(rows, threads) : 1;
        MatMul.For(tasks, threads, t =>
        {
            long first = (long)rows * t / tasks * blocksPerRow, end = (long)rows * (t + 1) / tasks * blocksPerRow;
            for (long b = first; b < end; b++)
                ((float*)da)[b] = QuantizeBlock((float*)xa + b * 32, (sbyte*)qa + b * 32, path, unsigned);
        });
    }

    /// <summary>Rounds 32 values; returns the block's scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float QuantizeBlock(float* x, sbyte* q, KernelPath path, bool unsigned = false)
    {
        byte flip = unsigned ? (byte)0x80 : (byte)0;
        if (path != KernelPath.Scalar)
        {
            var v0 = Vector256.Load(x);
            var v1 = Vector256.Load(x + 8);
            var v2 = Vector256.Load(x + 16);
            var v3 = Vector256.Load(x + 24);
            var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var h = Vector128.Max(m.GetLower(), m.GetUpper());
            h = Vector128.Max(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
            float amax = MathF.Max(h.ToScalar(), h.GetElement(1));
            var id = Vector256.Create(amax != 0 ? 127f / amax : 0f);
            var i0 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(v0 * id));
            var i1 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(v1 * id));
            var i2 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(v2 * id));
            var i3 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(v3 * id));
            (Vector256.Narrow(Vector256.Narrow(i0, i1), Vector256.Narrow(i2, i3)) ^ Vector256.Create(unchecked((sbyte)flip))).Store(q);
            return Scale(amax);
        }
        float a = 0;
        for (int j = 0; j < 32; j++) a = MathF.Max(a, MathF.Abs(x[j]));
        float inverse = a != 0 ? 127f / a : 0f;
        for (int j = 0; j < 32; j++) q[j] = (sbyte)((int)MathF.Round(x[j] * inverse, MidpointRounding.ToEven) ^ flip);
        return Scale(a);
    }

    private static float Scale(float amax) => (float)(Half)(amax / 127f);
}
