using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Loom.Models.Bert;

/// <summary>
/// GELU for the encoder's feed-forward layer, in f32 SIMD: x · Φ(x) with erf from Abramowitz &amp; Stegun 7.1.26
/// (|error| ≤ 1.5e-7), so |error| ≤ 1e-7·|x| — far inside the encoder's parity budget. Written as
/// x − x/2·q for x ≥ 0 and x/2·q for x &lt; 0, with q = erfc(|x|/√2), so the negative tail has no cancellation.
/// Private to the encoder because Loom.Tensors' exact f64 GELU costs more than the GEMM that feeds it.
/// </summary>
internal static class BertGelu
{
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InvSqrt2 = 0.70710678118654752f;

    public static void InPlace(Span<float> x)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            ref float start = ref MemoryMarshal.GetReference(x);
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var z = Vector256.Abs(v) * InvSqrt2;
                var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(z, Vector256.Create(P), Vector256<float>.One);
                var poly = t * (Vector256.Create(A1) + t * (Vector256.Create(A2) + t * (Vector256.Create(A3) + t * (Vector256.Create(A4) + t * A5))));
                var q = poly * Loom.Tensors.VectorExp.NonPositive(-(z * z));
                var half = v * 0.5f * q;
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256<float>.Zero), v - half, half).StoreUnsafe(ref start, (nuint)i);
            }
        }
        for (; i < x.Length; i++) x[i] = Scalar(x[i]);
    }

    public static float Scalar(float v)
    {
        float z = MathF.Abs(v) * InvSqrt2;
        float t = 1f / (1f + P * z);
        float q = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * MathF.Exp(-z * z);
        float half = 0.5f * v * q;
        return v >= 0 ? v - half : half;
    }
}
