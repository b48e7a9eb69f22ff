using System.Diagnostics;
using System.Runtime.InteropServices;
using Loom.Tensors;

/// <summary>
/// "gemm" suite: Loom's MatMul in GFLOP/s on the shapes the models use, for f32 / f16 / Q8_0 / Q4_0 weights with 1 and 2
/// threads, side by side with OpenBLAS sgemm (the f32 peer, when libopenblas.so.0 is installed) and next to the machine's
/// theoretical FMA peak; matrix-vector products in GB/s of weights read, next to stream copy/read bandwidth. Q8_0 and Q4_0
/// also run through <see cref="Int8MatMul"/> (rows "·i8": activations rounded to Q8_0, integer dot products; GOP/s).
/// Options: --rounds N (default 5; each side runs alternately, best round kept); --all-types adds every other weight type.
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
        int rounds = 5;
        var types = Types;
        var shapes = Shapes;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--rounds" && i + 1 < args.Length) rounds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--all-types")
            {
                types = [.. Types, GgmlType.BF16, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K];
                shapes = [.. Shapes, ("[1×2048]×[2048×5632] (matvec)", 1, 2048, 5632)]; // k in whole K-quant super-blocks
            }
            else
            {
                Console.Error.WriteLine($"gemm: unknown option {args[i]} (options: --rounds N, --all-types)");
                return 2;
            }
        }
        double ghz = ClockGHz(), measured = MeasuredGHz();
        int cores = Environment.ProcessorCount;
        double peakPerCore = Math.Max(ghz, measured) * 2 * 16 * 2; // 2 FMA pipes × 16 f32 lanes × 2 flops
        Console.WriteLine($"CPU: {cores} cores, /proc/cpuinfo {ghz:F2} GHz (FMA peak {ghz * 64:F0} GFLOP/s per core), measured {measured:F2} GHz " +
                          $"(peak {measured * 64:F0}); kernel path {Kernels.Path}; % peak below uses {peakPerCore:F0} GFLOP/s per core");
        var blas = OpenBlas.TryLoad();
        Console.WriteLine(blas is null ? "OpenBLAS: not installed (libopenblas.so.0); published single-thread sgemm on this machine: 161 GFLOP/s"
                                       : "OpenBLAS: libopenblas.so.0 loaded (peer for f32)");
        var (copy, read) = StreamBandwidth(rounds);
        Console.WriteLine($"stream copy {copy:F1} GB/s (read + write bytes), stream read {read:F1} GB/s");
        Console.WriteLine();
        Console.WriteLine($"{"shape",-30} {"weights",-6} {"thr",3} {"Loom GFLOP/s",12} {"% peak",7} {"GB/s",7} {"OpenBLAS",9} {"ratio",6} {"max |Δ|/max |y|",16}");

        var rng = new Random(42);
        foreach (var (name, m, k, n) in shapes)
        {
            var x = RandomValues(rng, m * k);
            var wf = RandomValues(rng, n * k);
            var y = new float[m * n];
            foreach (var type in types)
            {
                if (k % GgmlTypes.BlockSize(type) != 0) continue; // K-quants need k in whole 256-value super-blocks
                // Matrix-vector products stream the weights from memory: cycle through copies that together exceed the
                // L3 cache (as a model's successive layers do), so the figure is DRAM bandwidth, not cache bandwidth.
                var bytes = Quantization.Quantize(type, wf);
                int copies = m == 1 ? (int)Math.Max(1, (128L << 20) / bytes.Length) : 1;
                var ws = Enumerable.Range(0, copies).Select(_ => new WeightMatrix(type, n, k, bytes.ToArray())).ToArray();
                var wfs = Enumerable.Range(0, type == GgmlType.F32 ? copies : 1).Select(_ => wf.ToArray()).ToArray();
                var w = ws[0];
                int next = 0;
                foreach (int threads in new[] { 1, 2 })
                {
                    double flops = 2.0 * m * n * k;
                    double loom = double.MaxValue, peer = double.MaxValue;
                    for (int r = 0; r < rounds; r++)
                    {
                        loom = Math.Min(loom, Seconds(() => MatMul.Multiply(x, m, ws[next++ % ws.Length], y, threads)));
                        if (blas is not null && type == GgmlType.F32) peer = Math.Min(peer, Seconds(() => blas.Sgemm(x, m, wfs[next++ % wfs.Length], n, k, y, threads)));
                    }
                    double gflops = flops / loom / 1e9;
                    string gbs = m == 1 ? $"{w.Data.Length / loom / 1e9,7:F1}" : $"{"",7}";
                    string peerText = peer == double.MaxValue ? "" : $"{flops / peer / 1e9,9:F1} {peer / loom,6:F2} {Difference(x, m, w, wf, n, k, blas!, threads),16:E1}";
                    Console.WriteLine($"{name,-30} {type,-6} {threads,3} {gflops,12:F1} {100 * gflops / (peakPerCore * threads),6:F0}% {gbs} {peerText}");
                }
                // The same weights through the integer product the decoders and the encoder's Q8_0 path use (GOP/s).
                if (Int8MatMul.Supports(type))
                    foreach (int threads in new[] { 1, 2 })
                    {
                        double best = double.MaxValue;
                        for (int r = 0; r < rounds; r++)
                            best = Math.Min(best, Seconds(() => Int8MatMul.Multiply(x, m, ws[next++ % ws.Length], default, y, threads)));
                        string gbs = m == 1 ? $"{w.Data.Length / best / 1e9,7:F1}" : $"{"",7}";
                        Console.WriteLine($"{name,-30} {type + "·i8",-6} {threads,3} {2.0 * m * n * k / best / 1e9,12:F1} {"",7} {gbs}");
                    }
            }
        }
        return 0;
    }

    /// <summary>Parity on the benchmark's own shapes: Loom's result against OpenBLAS's.</summary>
    private static double Difference(float[] x, int m, WeightMatrix w, float[] wf, int n, int k, OpenBlas blas, int threads)
    {
        var ours = new float[m * n];
        var theirs = new float[m * n];
        MatMul.Multiply(x, m, w, ours, threads);
        blas.Sgemm(x, m, wf, n, k, theirs, threads);
        double diff = 0, scale = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(ours[i] - theirs[i]));
            scale = Math.Max(scale, Math.Abs(theirs[i]));
        }
        return diff / scale;
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

    /// <summary>Stream copy and read over 16 MB pieces of 256 MB buffers, a different piece each call — the same
    /// access pattern and call length as the matrix-vector products, so both figures see the same interruptions.</summary>
    private static (double Copy, double Read) StreamBandwidth(int rounds)
    {
        const int piece = 4 << 20, pieces = 16; // floats
        var a = new float[piece * pieces];
        var b = new float[piece * pieces];
        a.AsSpan().Fill(1);
        int next = 0;
        double copy = double.MaxValue, read = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            copy = Math.Min(copy, Seconds(() =>
            {
                int o = next++ % pieces * piece;
                a.AsSpan(o, piece).CopyTo(b.AsSpan(o, piece));
            }));
            read = Math.Min(read, Seconds(() => ReadAll(a, next++ % pieces * piece, piece)));
        }
        double bytes = piece * 4.0;
        return (2 * bytes / copy / 1e9, bytes / read / 1e9);
    }

    /// <summary>Reads every byte of a[start..start+count) once (four independent 512-bit accumulators, so only memory limits it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static float ReadAll(float[] a, int start, int count)
    {
        var s0 = System.Runtime.Intrinsics.Vector512<float>.Zero;
        var (s1, s2, s3) = (s0, s0, s0);
        fixed (float* p = &a[start])
            for (int i = 0; i + 64 <= count; i += 64)
            {
                s0 += System.Runtime.Intrinsics.Vector512.Load(p + i);
                s1 += System.Runtime.Intrinsics.Vector512.Load(p + i + 16);
                s2 += System.Runtime.Intrinsics.Vector512.Load(p + i + 32);
                s3 += System.Runtime.Intrinsics.Vector512.Load(p + i + 48);
            }
        return System.Runtime.Intrinsics.Vector512.Sum(s0 + s1 + s2 + s3);
    }

    /// <summary>The clock the core really runs at: a chain of dependent shift-and-add steps takes 2 cycles each.</summary>
    private static double MeasuredGHz()
    {
        const int iterations = 500_000; // ~2 ms: short enough that some runs are not preempted on a busy machine
        double best = double.MaxValue;
        for (int r = 0; r < 200; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Chain(r + 1, iterations);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return 16.0 * iterations / best / 1e9;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long Chain(long x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            x += x >> 3; x += x >> 3; x += x >> 3; x += x >> 3;
            x += x >> 3; x += x >> 3; x += x >> 3; x += x >> 3;
        }
        return x;
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
