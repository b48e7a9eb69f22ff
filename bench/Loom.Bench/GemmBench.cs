using System.Diagnostics;
using System.Runtime.InteropServices;
using Loom.Tensors;

/// <summary>
/// "gemm" suite: Loom's MatMul in GFLOP/s on the shapes the models use, for f32 / f16 / Q8_0 / Q4_0 weights with 1 and 2
/// threads, side by side with OpenBLAS sgemm (the f32 peer, when libopenblas.so.0 is installed) and next to the machine's
/// theoretical FMA peak; matrix-vector products in GB/s of weights read, next to stream copy/read bandwidth.
/// Options: --rounds N (default 5; each side runs alternately, best round kept).
/// </summary>
internal static unsafe class GemmBench
{
    private static readonly (string Name, int M, int K, int N)[] Shapes =
    [
        ("[1024×384]×[384×1536]", 1024, 384, 1536),
        ("[512×896]×[896×4864]", 512, 896, 4864),
        ("[1×896]×[896×4864] (matvec)", 1, 896, 4864),
    ];

    private static readonly GgmlType[] Types = [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0];

    public static int Run(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1]) : 5;
        double ghz = ClockGHz();
        int cores = Environment.ProcessorCount;
        double peakPerCore = ghz * 2 * 16 * 2; // 2 FMA pipes × 16 f32 lanes × 2 flops
        Console.WriteLine($"CPU: {cores} cores at {ghz:F2} GHz, kernel path {Kernels.Path}; FMA peak {peakPerCore:F0} GFLOP/s per core, {peakPerCore * cores:F0} total");
        var blas = OpenBlas.TryLoad();
        Console.WriteLine(blas is null ? "OpenBLAS: not installed (libopenblas.so.0); published single-thread sgemm on this machine: 161 GFLOP/s"
                                       : "OpenBLAS: libopenblas.so.0 loaded (peer for f32)");
        var (copy, read) = StreamBandwidth(rounds);
        Console.WriteLine($"stream copy {copy:F1} GB/s (read + write bytes), stream read {read:F1} GB/s");
        Console.WriteLine();
        Console.WriteLine($"{"shape",-30} {"weights",-6} {"thr",3} {"Loom GFLOP/s",12} {"% peak",7} {"GB/s",7} {"OpenBLAS",9} {"ratio",6}");

        var rng = new Random(42);
        foreach (var (name, m, k, n) in Shapes)
        {
            var x = RandomValues(rng, m * k);
            var wf = RandomValues(rng, n * k);
            var y = new float[m * n];
            foreach (var type in Types)
            {
                var w = new WeightMatrix(type, n, k, Quantization.Quantize(type, wf));
                foreach (int threads in new[] { 1, 2 })
                {
                    double flops = 2.0 * m * n * k;
                    double loom = double.MaxValue, peer = double.MaxValue;
                    for (int r = 0; r < rounds; r++)
                    {
                        loom = Math.Min(loom, Seconds(() => MatMul.Multiply(x, m, w, y, threads)));
                        if (blas is not null && type == GgmlType.F32) peer = Math.Min(peer, Seconds(() => blas.Sgemm(x, m, wf, n, k, y, threads)));
                    }
                    double gflops = flops / loom / 1e9;
                    string gbs = m == 1 ? $"{w.Data.Length / loom / 1e9,7:F1}" : $"{"",7}";
                    string peerText = peer == double.MaxValue ? $"{"",9} {"",6}" : $"{flops / peer / 1e9,9:F1} {peer / loom,6:F2}";
                    Console.WriteLine($"{name,-30} {type,-6} {threads,3} {gflops,12:F1} {100 * gflops / (peakPerCore * threads),6:F0}% {gbs} {peerText}");
                }
            }
        }
        return 0;
    }

    /// <summary>Best time of one call, repeating it until at least 50 ms have passed.</summary>
    private static double Seconds(Action action)
    {
        action();
        double best = double.MaxValue, total = 0;
        while (total < 0.05)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Min(best, s);
            total += s;
        }
        return best;
    }

    private static (double Copy, double Read) StreamBandwidth(int rounds)
    {
        var a = new float[64 << 20];
        var b = new float[64 << 20];
        a.AsSpan().Fill(1);
        double copy = double.MaxValue, read = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            copy = Math.Min(copy, Seconds(() => a.AsSpan().CopyTo(b)));
            read = Math.Min(read, Seconds(() => System.Numerics.Tensors.TensorPrimitives.Sum(a)));
        }
        double bytes = a.Length * 4.0;
        return (2 * bytes / copy / 1e9, bytes / read / 1e9);
    }

    private static double ClockGHz()
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                return double.Parse(line[(line.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture) / 1000;
        return double.NaN;
    }

    private static float[] RandomValues(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>cblas_sgemm from the system's OpenBLAS, if present.</summary>
    private sealed class OpenBlas
    {
        private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
        private readonly delegate* unmanaged<int, void> setThreads;

        private OpenBlas(nint lib)
        {
            sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(lib, "cblas_sgemm");
            setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "openblas_set_num_threads");
        }

        public static OpenBlas? TryLoad() => NativeLibrary.TryLoad("libopenblas.so.0", out var lib) ? new OpenBlas(lib) : null;

        /// <summary>y[m × n] = x[m × k] · Wᵀ with W [n × k], row-major.</summary>
        public void Sgemm(float[] x, int m, float[] w, int n, int k, float[] y, int threads)
        {
            setThreads(threads);
            fixed (float* px = x, pw = w, py = y)
                sgemm(101, 111, 112, m, n, k, 1f, px, k, pw, k, 0f, py, n); // RowMajor, NoTrans, Trans
        }
    }
}
