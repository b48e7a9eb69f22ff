using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Loom.Formats;

/// <summary>
/// The key/value metadata of a GGUF file, in file order, with typed getters. A missing key or a value of the wrong
/// type is a <see cref="ModelFormatException"/> naming the key; the <c>TryGet…</c> forms return false instead.
/// </summary>
public sealed class GgufMetadata : IReadOnlyDictionary<string, GgufValue>
{
    private readonly List<KeyValuePair<string, GgufValue>> _entries = [];
    private readonly Dictionary<string, GgufValue> _byKey = new(StringComparer.Ordinal);
    private readonly string? _path;

    internal GgufMetadata(string? path) => _path = path;

    /// <summary>Adds an entry; false when the key is already present.</summary>
    internal bool TryAdd(string key, GgufValue value)
    {
        if (!_byKey.TryAdd(key, value)) return false;
        _entries.Add(new(key, value));
        return true;
    }

    public GgufValue this[string key] => _byKey.TryGetValue(key, out var value)
        ? value
        : throw new ModelFormatException(_path, $"metadata key '{key}' is missing");

    public int Count => _entries.Count;
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);
    public IEnumerable<GgufValue> Values => _entries.Select(e => e.Value);
    public bool ContainsKey(string key) => _byKey.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out GgufValue value) => _byKey.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() => _entries.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public string GetString(string key) => Get(key, v => v.AsString());
    public bool GetBool(string key) => Get(key, v => v.AsBool());
    public uint GetUInt32(string key) => Get(key, v => v.AsUInt32());
    public int GetInt32(string key) => Get(key, v => v.AsInt32());
    public ulong GetUInt64(string key) => Get(key, v => v.AsUInt64());
    public long GetInt64(string key) => Get(key, v => v.AsInt64());
    public float GetSingle(string key) => Get(key, v => v.AsSingle());
    public double GetDouble(string key) => Get(key, v => v.AsDouble());

    /// <summary>The elements of an array value, e.g. <c>GetArray&lt;string&gt;("tokenizer.ggml.tokens")</c>.</summary>
    public T[] GetArray<T>(string key) => Get(key, v => v.AsArray<T>());

    public bool TryGetString(string key, [NotNullWhen(true)] out string? value) => TryGet(key, v => v.AsString(), out value);
    public bool TryGetBool(string key, out bool value) => TryGet(key, v => v.AsBool(), out value);
    public bool TryGetUInt32(string key, out uint value) => TryGet(key, v => v.AsUInt32(), out value);
    public bool TryGetInt32(string key, out int value) => TryGet(key, v => v.AsInt32(), out value);
    public bool TryGetUInt64(string key, out ulong value) => TryGet(key, v => v.AsUInt64(), out value);
    public bool TryGetInt64(string key, out long value) => TryGet(key, v => v.AsInt64(), out value);
    public bool TryGetSingle(string key, out float value) => TryGet(key, v => v.AsSingle(), out value);
    public bool TryGetDouble(string key, out double value) => TryGet(key, v => v.AsDouble(), out value);
    public bool TryGetArray<T>(string key, [NotNullWhen(true)] out T[]? value) => TryGet(key, v => v.AsArray<T>(), out value);

    private T Get<T>(string key, Func<GgufValue, T> convert)
    {
        var value = this[key];
        try
        {
            return convert(value);
        }
        catch (InvalidCastException e)
        {
            throw new ModelFormatException(_path, $"metadata key '{key}': {e.Message}", e);
        }
    }

    private bool TryGet<T>(string key, Func<GgufValue, T> convert, [MaybeNullWhen(false)] out T value)
    {
        value = default;
        if (!_byKey.TryGetValue(key, out var raw)) return false;
        try
        {
            value = convert(raw)!;
            return true;
        }
        catch (InvalidCastException)
        {
            return false;
        }
    }
}
