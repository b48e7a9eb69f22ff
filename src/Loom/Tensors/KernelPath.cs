using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Tensors;

/// <summary>The instruction set a kernel runs on.</summary>
public enum KernelPath
{
    /// <summary>Plain C#, one element at a time; runs anywhere.</summary>
    Scalar,
    /// <summary>256-bit vectors with FMA (AVX2).</summary>
    Avx2,
    /// <summary>512-bit vectors (AVX-512 F/BW).</summary>
    Avx512,
}

/// <summary>Chooses the best <see cref="KernelPath"/> the CPU offers, once, at start-up.</summary>
public static class Kernels
{
    // A forced path is scoped to the forcing test's execution context (it flows into the kernels' worker tasks),
    // so tests running in parallel keep the best path.
    private static readonly AsyncLocal<KernelPath?> forced = new();

    /// <summary>The best path this CPU supports.</summary>
    public static KernelPath Best { get; } =
        Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? KernelPath.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? KernelPath.Avx2
        : KernelPath.Scalar;

    /// <summary>The path the kernels use now (the best one unless a test forced another).</summary>
    public static KernelPath Path => forced.Value ?? Best;

    /// <summary>Forces a path in the current execution context (tests use this to exercise every path);
    /// refuses one the CPU cannot run; <c>null</c> returns to the best path.</summary>
    internal static void Force(KernelPath? path)
    {
        if (path > Best) throw new PlatformNotSupportedException($"this CPU cannot run the {path} kernels (best: {Best})");
        forced.Value = path;
    }

    /// <summary>True when the CPU can run <paramref name="path"/>.</summary>
    public static bool IsSupported(KernelPath path) => path <= Best;
}
