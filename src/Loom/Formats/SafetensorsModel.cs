using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Loom.Tensors;

namespace Loom.Formats;

/// <summary>
/// The safetensors weights of a model: one file, or shards listed by <c>model.safetensors.index.json</c>
/// (its <c>weight_map</c> names the shard of each tensor). Shards are memory-mapped; each tensor the index names
/// must exist in its shard, and shard names must be plain file names in the index's folder.
/// </summary>
public sealed class SafetensorsModel : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafetensorsFile> _shards;
    private readonly Dictionary<string, (SafetensorsTensorInfo Info, SafetensorsFile Shard)> _byName;

    private SafetensorsModel(string path, List<SafetensorsFile> shards, List<(SafetensorsTensorInfo, SafetensorsFile)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _shards = shards;
        Tensors = tensors.Select(t => t.Item1).ToList();
        _byName = tensors.ToDictionary(t => t.Item1.Name, t => (t.Item1, t.Item2), StringComparer.Ordinal);
        Metadata = metadata;
    }

    /// <summary>The file or index this model was opened from.</summary>
    public string Path { get; }

    public IReadOnlyList<SafetensorsFile> Shards => _shards;

    /// <summary>Every tensor, in shard order then header order (single file) or index order (sharded).</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The single file's <c>__metadata__</c>, or the index's <c>metadata</c> (values rendered as text).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens a <c>.safetensors</c> file, a <c>*.index.json</c>, or a folder holding either
    /// (<c>model.safetensors.index.json</c>, then <c>model.safetensors</c>, then a lone <c>*.safetensors</c>).
    /// </summary>
    public static SafetensorsModel Open(string path)
    {
        if (Directory.Exists(path))
        {
            string index = System.IO.Path.Combine(path, IndexFileName);
            if (File.Exists(index)) return OpenIndex(index);
            string single = System.IO.Path.Combine(path, SingleFileName);
            if (File.Exists(single)) return OpenSingle(single);
            var files = Directory.GetFiles(path, "*.safetensors");
            return files.Length == 1
                ? OpenSingle(files[0])
                : throw new ModelFormatException(path, files.Length == 0 ? "the folder holds no .safetensors file" : $"the folder holds {files.Length} .safetensors files and no {IndexFileName}");
        }
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? OpenIndex(path) : OpenSingle(path);
    }

    private static SafetensorsModel OpenSingle(string path)
    {
        var file = SafetensorsFile.Open(path);
        return new SafetensorsModel(path, [file], file.Tensors.Select(t => (t, file)).ToList(), file.Metadata);
    }

    private static SafetensorsModel OpenIndex(string indexPath)
    {
        using var document = JsonFile.Load(indexPath, SafetensorsFile.MaxHeaderLength);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(indexPath, "the index has no weight_map object");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            foreach (var entry in meta.EnumerateObject())
                metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();

        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var tensors = new List<(SafetensorsTensorInfo, SafetensorsFile)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in map.EnumerateObject())
            {
                if (!seen.Add(entry.Name)) throw new ModelFormatException(indexPath, $"weight_map names '{entry.Name}' twice");
                if (entry.Value.ValueKind != JsonValueKind.String) throw new ModelFormatException(indexPath, $"weight_map entry '{entry.Name}' is not a file name");
                string shardName = entry.Value.GetString()!;
                if (shardName.Length == 0 || shardName != System.IO.Path.GetFileName(shardName) || shardName is "." or "..")
                    throw new ModelFormatException(indexPath, $"weight_map entry '{entry.Name}' points outside the folder: '{shardName}'");
                if (!shards.TryGetValue(shardName, out var shard))
                {
                    string shardPath = System.IO.Path.Combine(folder, shardName);
                    if (!File.Exists(shardPath)) throw new ModelFormatException(indexPath, $"shard '{shardName}' does not exist");
                    shard = SafetensorsFile.Open(shardPath);
                    shards.Add(shardName, shard);
                }
                if (!shard.TryGetTensor(entry.Name, out var tensor))
                    throw new ModelFormatException(shard.Path, $"tensor '{entry.Name}', which the index places here, is not in the shard");
                tensors.Add((tensor, shard));
            }
        }
        catch
        {
            foreach (var shard in shards.Values) shard.Dispose();
            throw;
        }
        return new SafetensorsModel(indexPath, shards.Values.ToList(), tensors, metadata);
    }

    public bool TryGetTensor(string name, [NotNullWhen(true)] out SafetensorsTensorInfo? tensor)
    {
        bool found = _byName.TryGetValue(name, out var entry);
        tensor = entry.Info;
        return found;
    }

    public SafetensorsTensorInfo GetTensor(string name) => Find(name).Info;

    public ReadOnlyMemory<byte> GetData(string name)
    {
        var (info, shard) = Find(name);
        return shard.GetData(info);
    }

    public WeightMatrix GetMatrix(string name)
    {
        var (info, shard) = Find(name);
        return SafetensorsFile.ToMatrix(shard.Path, info, shard.GetData(info));
    }

    private (SafetensorsTensorInfo Info, SafetensorsFile Shard) Find(string name) =>
        _byName.TryGetValue(name, out var entry) ? entry : throw new ModelFormatException(Path, $"tensor '{name}' is not in the model");

    public void Dispose()
    {
        foreach (var shard in _shards) shard.Dispose();
    }
}
