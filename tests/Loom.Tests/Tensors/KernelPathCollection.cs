using Loom.Tensors;

namespace Loom.Tests.Tensors;

/// <summary>Tests that force <see cref="Kernels.Path"/> run one at a time, so each really runs on the path it names.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelPathCollection
{
    public const string Name = "kernel path";

    /// <summary>Every path this CPU can run (the test data for path-parameterised theories).</summary>
    public static TheoryData<KernelPath> Paths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (var p in Enum.GetValues<KernelPath>())
            if (Kernels.IsSupported(p)) data.Add(p);
        return data;
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="path"/>, restoring the best path afterwards.</summary>
    public static void On(KernelPath path, Action body)
    {
        Kernels.Force(path);
        try { body(); }
        finally { Kernels.Force(null); }
    }
}
