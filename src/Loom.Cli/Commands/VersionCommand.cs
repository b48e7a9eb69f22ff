using System.CommandLine;
using System.Reflection;
using System.Runtime.Intrinsics.X86;

namespace Loom.Cli.Commands;

/// <summary><c>loom version</c>: Loom's version and the SIMD paths this CPU offers.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print Loom's version and the CPU features it uses");
        command.SetAction(_ =>
        {
            var version = typeof(Loom.Tensors.MatMul).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            Console.WriteLine($"loom {version}");
            Console.WriteLine($"cores {Environment.ProcessorCount}; AVX2 {Avx2.IsSupported}; AVX-512F {Avx512F.IsSupported}; AVX-512 VBMI {Avx512Vbmi.IsSupported}; AVX-VNNI {AvxVnni.IsSupported}; AVX10.1 {Avx10v1.IsSupported}");
            return 0;
        });
        return command;
    }
}
