using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>A vector exp for the arguments Loom's kernels meet, several times cheaper than the library's general one.</summary>
internal static class VectorExp
{
    /// <summary>
    /// exp(x) for x ≤ 0 (softmax's scores minus their maximum, GELU's −z²): x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 in
    /// two parts, so r is exact to f32), e^r by its degree-7 Taylor polynomial (truncation below 6e-9 relative), times 2ⁿ
    /// built in the exponent bits. Below −87.3, where 2ⁿ would leave the normal range, and for −∞ the result is 0; NaN stays NaN.
    /// Within a few f32 ulps of exp (tested against float64). Needs AVX (callers check <see cref="Avx.IsSupported"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NonPositive(Vector256<float> x)
    {
        var n = Vector256.Round(x * 1.44269504f);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1f / 5040);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        // n is already whole: the plain conversion (not .NET's saturating one, three instructions more) is exact.
        var twoToN = Vector256.ShiftLeft(Avx.ConvertToVector256Int32(n) + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-87.3f)), Vector256<float>.Zero, p * twoToN);
    }
}
