using System.Runtime.Intrinsics;

namespace Loom.Tensors;

/// <summary>
/// The complementary error function in f64, accurate to a few ulp, scalar and 4-wide. The rational approximations
/// and their intervals are those of Sun's fdlibm s_erf.c ("Copyright (C) 1993 by Sun Microsystems, Inc. Permission to
/// use, copy, modify, and distribute this software is freely granted, provided that this notice is preserved"):
/// erf(a) = a + a·P(a²)/Q(a²) for a &lt; 0.84375; erf(a) = c + P(a−1)/Q(a−1) below 1.25;
/// erfc(a) = exp(−a² − 0.5625 + R(1/a²)/S(1/a²)) / a beyond (two fits, split at 1/0.35).
/// </summary>
internal static class Erfc
{
    public const double InvSqrt2 = 0.70710678118654752440;

    private const double Erx = 8.45062911510467529297e-01;
    private static readonly double[] PP = [1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02, -5.77027029648944159157e-03, -2.37630166566501626084e-05];
    private static readonly double[] QQ = [1, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03, 1.32494738004321644526e-04, -3.96022827877536812320e-06];
    private static readonly double[] PA = [-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01, 3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02, -2.16637559486879084300e-03];
    private static readonly double[] QA = [1, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02, 1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02];
    private static readonly double[] RA = [-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01, -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02, -8.12874355063065934246e+01, -9.81432934416914548592e+00];
    private static readonly double[] SA = [1, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02, 6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02, 6.57024977031928170135e+00, -6.04244152148580987438e-02];
    private static readonly double[] RB = [-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01, -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03, -4.83519191608651397019e+02];
    private static readonly double[] SB = [1, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03, 3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02, -2.24409524465858183362e+01];

    public static double Scalar(double z)
    {
        if (double.IsNaN(z)) return z;
        double a = Math.Abs(z), tail;
        if (a < 0.84375)
        {
            double s = a * a;
            tail = 1 - (a + a * Poly(s, PP) / Poly(s, QQ));
        }
        else if (a < 1.25)
        {
            double s = a - 1;
            tail = 1 - Erx - Poly(s, PA) / Poly(s, QA);
        }
        else if (a < 28)
        {
            double s = 1 / (a * a);
            double rs = a < 1 / 0.35 ? Poly(s, RA) / Poly(s, SA) : Poly(s, RB) / Poly(s, SB);
            tail = Math.Exp(-a * a - 0.5625 + rs) / a;
        }
        else tail = 0;
        return z >= 0 ? tail : 2 - tail;
    }

    public static Vector256<double> Vector(Vector256<double> z)
    {
        var a = Vector256.Abs(z);
        var s = a * a;
        var small = Vector256<double>.One - (a + a * Poly(s, PP) / Poly(s, QQ));
        var t = a - Vector256<double>.One;
        var middle = Vector256.Create(1 - Erx) - Poly(t, PA) / Poly(t, QA);
        var inv = Vector256<double>.One / s;
        var rs = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(1 / 0.35)),
            Poly(inv, RA) / Poly(inv, SA), Poly(inv, RB) / Poly(inv, SB));
        var large = Vector256.Exp(rs - s - Vector256.Create(0.5625)) / a;
        large = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(28.0)), large, Vector256<double>.Zero);
        var tail = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(0.84375)), small,
            Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(1.25)), middle, large));
        var result = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<double>.Zero), tail, Vector256.Create(2.0) - tail);
        return Vector256.ConditionalSelect(Vector256.Equals(z, z), result, z); // NaN stays NaN
    }

    private static double Poly(double x, double[] c)
    {
        double r = c[^1];
        for (int i = c.Length - 2; i >= 0; i--) r = r * x + c[i];
        return r;
    }

    private static Vector256<double> Poly(Vector256<double> x, double[] c)
    {
        var r = Vector256.Create(c[^1]);
        for (int i = c.Length - 2; i >= 0; i--) r = r * x + Vector256.Create(c[i]);
        return r;
    }
}
