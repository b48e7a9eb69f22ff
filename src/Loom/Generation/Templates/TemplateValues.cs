using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loom.Generation.Templates;

// Runtime values, as Jinja (Python) sees them: null = None, bool, long, double, string,
// List<object?> (list / tuple), Dictionary<string, object?> (dict, insertion ordered),
// Undefined, Namespace, LoopContext and callables.

/// <summary>A variable or attribute that does not exist: prints as empty, is falsy, iterates as empty.</summary>
internal sealed class Undefined(string name)
{
    public string Name { get; } = name;
}

/// <summary>The mutable object made by <c>namespace()</c>: the only way to carry values out of a loop.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = [];
}

/// <summary>A callable: a global function, a bound method or a macro.</summary>
internal delegate object? TemplateFunction(List<object?> positional, Dictionary<string, object?> named);

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(List<object?> items)
{
    public int Index0 { get; set; }

    public object? Get(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("loop.nextitem"),
        _ => new Undefined("loop." + name),
    };
}

internal static class TemplateValues
{
    /// <summary>Converts a .NET value (primitives, dictionaries, sequences, System.Text.Json values) to a template value.</summary>
    public static object? From(object? value, int depth = 0)
    {
        if (depth > 128) throw new TemplateException("Template variables are nested too deeply.");
        switch (value)
        {
            case null: return null;
            case string or bool or long or double or Undefined or Namespace or TemplateFunction: return value;
            case int or short or byte or sbyte or ushort or uint: return Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case float f: return (double)f;
            case decimal m: return (double)m;
            case ulong u: return u <= long.MaxValue ? (long)u : (double)u;
            case char c: return c.ToString();
            case JsonElement element: return FromJson(element, depth);
            case JsonNode node: return FromJson(JsonSerializer.SerializeToElement(node), depth);
            case IDictionary dictionary:
            {
                var result = new Dictionary<string, object?>();
                foreach (DictionaryEntry entry in dictionary) result[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!] = From(entry.Value, depth + 1);
                return result;
            }
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                return pairs.ToDictionary(p => p.Key, p => From(p.Value, depth + 1));
            case IEnumerable sequence:
                return sequence.Cast<object?>().Select(item => From(item, depth + 1)).ToList();
            default:
                throw new TemplateException($"Values of type {value.GetType().Name} cannot be passed to a template.");
        }
    }

    private static object? FromJson(JsonElement element, int depth) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value, depth + 1)),
        JsonValueKind.Array => element.EnumerateArray().Select(e => FromJson(e, depth + 1)).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static bool Truthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>Python's str().</summary>
    public static string ToText(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(value, 0),
    };

    /// <summary>Python's repr(), as used when a list or dict is printed.</summary>
    public static string Repr(object? value, int depth)
    {
        if (depth > 64) throw new TemplateLimitException("A value nests too deeply to print.");
        return value switch
        {
            null => "None",
            Undefined => "",
            bool b => b ? "True" : "False",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => FormatDouble(d),
            string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
            List<object?> list => "[" + string.Join(", ", list.Select(i => Repr(i, depth + 1))) + "]",
            Dictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(p => Repr(p.Key, depth + 1) + ": " + Repr(p.Value, depth + 1))) + "}",
            Namespace => "<Namespace>",
            _ => "<function>",
        };
    }

    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16) return d.ToString("0.0", CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
    }

    public static bool AreEqual(object? a, object? b)
    {
        if (a is Undefined && b is Undefined) return true;
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b) && (a is not long || b is not long || (long)a! == (long)b!);
        return (a, b) switch
        {
            (null, null) => true,
            (string x, string y) => x == y,
            (bool x, bool y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
            (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
                x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && AreEqual(p.Value, v)),
            _ => ReferenceEquals(a, b),
        };
    }

    public static int Compare(object? a, object? b, int line)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string x && b is string y) return string.CompareOrdinal(x, y);
        throw new TemplateException($"Cannot compare {TypeName(a)} with {TypeName(b)}", line);
    }

    public static bool IsNumber(object? value) => value is long or double;

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException($"Expected a number, got {TypeName(value)}"),
    };

    public static string TypeName(object? value) => value switch
    {
        null => "None",
        Undefined u => $"undefined '{u.Name}'",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        Namespace => "namespace",
        LoopContext => "loop",
        _ => "function",
    };

    /// <summary>Python's json.dumps as Hugging Face's tojson calls it (ensure_ascii=False).</summary>
    public static string ToJson(object? value, int? indent, bool sortKeys, string? itemSeparator = null, string? keySeparator = null)
    {
        var builder = new StringBuilder();
        WriteJson(builder, value, indent, sortKeys, itemSeparator ?? (indent is null ? ", " : ","), keySeparator ?? ": ", 0);
        return builder.ToString();
    }

    private static void WriteJson(StringBuilder b, object? value, int? indent, bool sortKeys, string itemSep, string keySep, int depth)
    {
        if (depth > 64) throw new TemplateLimitException("A value nests too deeply for tojson (is it recursive?).");
        switch (value)
        {
            case null or Undefined: b.Append("null"); break;
            case bool v: b.Append(v ? "true" : "false"); break;
            case long l: b.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: b.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : FormatDouble(d)); break;
            case string s: WriteJsonString(b, s); break;
            case List<object?> list:
                if (list.Count == 0) { b.Append("[]"); break; }
                b.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) b.Append(itemSep);
                    NewLine(b, indent, depth + 1);
                    WriteJson(b, list[i], indent, sortKeys, itemSep, keySep, depth + 1);
                }
                NewLine(b, indent, depth);
                b.Append(']');
                break;
            case Dictionary<string, object?> or Namespace:
                var dict = value as Dictionary<string, object?> ?? ((Namespace)value).Attributes;
                if (dict.Count == 0) { b.Append("{}"); break; }
                b.Append('{');
                int n = 0;
                foreach (var (key, item) in sortKeys ? dict.OrderBy(p => p.Key, StringComparer.Ordinal) : (IEnumerable<KeyValuePair<string, object?>>)dict)
                {
                    if (n++ > 0) b.Append(itemSep);
                    NewLine(b, indent, depth + 1);
                    WriteJsonString(b, key);
                    b.Append(keySep);
                    WriteJson(b, item, indent, sortKeys, itemSep, keySep, depth + 1);
                }
                NewLine(b, indent, depth);
                b.Append('}');
                break;
            default: throw new TemplateException($"Cannot convert {TypeName(value)} to JSON");
        }
    }

    private static void NewLine(StringBuilder b, int? indent, int depth)
    {
        if (indent is int spaces) b.Append('\n').Append(' ', spaces * depth);
    }

    private static void WriteJsonString(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                case < ' ': b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: b.Append(c); break;
            }
        }
        b.Append('"');
    }
}
