using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>Numerically stable softmax (the row maximum is subtracted before exponentiating), with the masks attention needs.</summary>
public static class Softmax
{
    /// <summary>Softmax of a row, in place.</summary>
    public static void InPlace(Span<float> row) => InPlace(row, row.Length);

    /// <summary>Softmax over the first <paramref name="validLength"/> entries; the rest (padding, future tokens) become 0.
    /// A row with no valid entry becomes all zeros.</summary>
    public static void InPlace(Span<float> row, int validLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(validLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(validLength, row.Length);
        var valid = row[..validLength];
        row[validLength..].Clear();
        if (validLength == 0) return;
        float max = Max(valid);
        if (float.IsNegativeInfinity(max))
        {
            valid.Clear();
            return;
        }
        float sum = ExpShifted(valid, max);
        Scale(valid, 1 / sum);
    }

    /// <summary>Softmax of row + <paramref name="additiveMask"/> (0 to keep, −∞ or a large negative value to hide), in place.
    /// A fully hidden row becomes all zeros rather than NaN.</summary>
    public static void InPlace(Span<float> row, ReadOnlySpan<float> additiveMask)
    {
        if (additiveMask.Length != row.Length) throw new ArgumentException($"mask has {additiveMask.Length} entries, row {row.Length}", nameof(additiveMask));
        TensorPrimitives.Add(row, additiveMask, row);
        InPlace(row, row.Length);
    }

    /// <summary>
    /// Causal softmax over attention scores [rows × cols] (queries × keys), in place: the queries are the last
    /// <paramref name="rows"/> of <paramref name="cols"/> positions, so query i sees keys 0 … cols − rows + i.
    /// </summary>
    public static void Causal(Span<float> scores, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, rows);
        if (scores.Length < (long)rows * cols) throw new ArgumentException($"scores hold {scores.Length} values, fewer than {rows} × {cols}", nameof(scores));
        for (int i = 0; i < rows; i++) InPlace(scores.Slice(i * cols, cols), cols - rows + i + 1);
    }

    // Attention rows are short (tens to hundreds of scores) and there are many of them (7.6 M rows to embed 2048
    // fortunes): two fused loops with the last partial vector masked, and an exp of its own, instead of a library call
    // per step and the library's exp, which together took 2 ns per score.

    private static float Max(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        float max = float.NegativeInfinity;
        if (Avx.IsSupported)
        {
            var m = Vector256.Create(float.NegativeInfinity);
            // vmaxps (MaxNative) rather than IEEE maximum (three instructions each): a NaN score still makes the row NaN,
            // through its exp.
            for (; i + 8 <= x.Length; i += 8) m = Vector256.MaxNative(m, Vector256.LoadUnsafe(ref r, (nuint)i));
            if (i < x.Length) m = Vector256.MaxNative(m, LoadTail(ref r, i, x.Length - i));
            var h = Vector128.MaxNative(m.GetLower(), m.GetUpper());
            h = Vector128.MaxNative(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
            return MathF.Max(h.ToScalar(), h.GetElement(1));
        }
        for (; i < x.Length; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    /// <summary>x ← exp(x − shift); returns Σ x.</summary>
    private static float ExpShifted(Span<float> x, float shift)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Avx.IsSupported)
        {
            var s = Vector256<float>.Zero;
            var m = Vector256.Create(shift);
            for (; i + 8 <= x.Length; i += 8)
            {
                var e = VectorExp.NonPositive(Vector256.LoadUnsafe(ref r, (nuint)i) - m);
                e.StoreUnsafe(ref r, (nuint)i);
                s += e;
            }
            if (i < x.Length)
            {
                var e = VectorExp.NonPositive(LoadTail(ref r, i, x.Length - i) - m); // the padding lanes' exp(−∞) is 0
                // Lane by lane: vmaskmovps stores are slow on AMD.
                for (int lane = 0; i + lane < x.Length; lane++) Unsafe.Add(ref r, i + lane) = e.GetElement(lane);
                s += e;
            }
            return Vector256.Sum(s);
        }
        float sum = 0;
        for (; i < x.Length; i++) sum += x[i] = MathF.Exp(x[i] - shift);
        return sum;
    }

    private static void Scale(Span<float> x, float factor)
    {
        if (!Avx.IsSupported)
        {
            TensorPrimitives.Multiply(x, factor, x);
            return;
        }
        ref float r = ref MemoryMarshal.GetReference(x);
        var f = Vector256.Create(factor);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8) (Vector256.LoadUnsafe(ref r, (nuint)i) * f).StoreUnsafe(ref r, (nuint)i);
        for (; i < x.Length; i++) x[i] *= factor;
    }

    /// <summary>The last <paramref name="count"/> (1–7) values from <paramref name="i"/>, the other lanes −∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> LoadTail(ref float r, int i, int count)
    {
        var mask = TailMask(count);
        fixed (float* p = &Unsafe.Add(ref r, i))
            return Vector256.ConditionalSelect(mask.AsSingle(), Avx.MaskLoad(p, mask.AsSingle()), Vector256.Create(float.NegativeInfinity));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TailMask(int count) => Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count));
}
