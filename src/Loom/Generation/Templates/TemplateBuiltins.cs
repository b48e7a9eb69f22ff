using System.Globalization;
using static Loom.Generation.Templates.TemplateValues;

namespace Loom.Generation.Templates;

// Global functions, attributes and methods, filters and tests: the part of Jinja's (and Python's)
// library that chat templates use.
internal sealed partial class TemplateRenderer
{
    private Dictionary<string, object?> Globals() => new()
    {
        ["raise_exception"] = (TemplateFunction)((args, _) =>
            throw new TemplateRaisedException(args.Count > 0 ? ToText(args[0]) : "raise_exception() was called")),
        ["namespace"] = (TemplateFunction)((args, named) =>
        {
            var ns = new Namespace();
            if (args.Count > 0 && args[0] is Dictionary<string, object?> initial)
                foreach (var (k, v) in initial) ns.Attributes[k] = v;
            foreach (var (k, v) in named) ns.Attributes[k] = v;
            return ns;
        }),
        ["dict"] = (TemplateFunction)((_, named) => new Dictionary<string, object?>(named)),
        ["range"] = (TemplateFunction)((args, _) =>
        {
            long start = 0, stop, step = 1;
            if (args.Count == 1) stop = Integer(args[0], "range");
            else if (args.Count is 2 or 3)
            {
                start = Integer(args[0], "range");
                stop = Integer(args[1], "range");
                if (args.Count == 3) step = Integer(args[2], "range");
            }
            else throw new TemplateException("range() takes 1 to 3 arguments");
            if (step == 0) throw new TemplateException("range() step cannot be zero");
            double count = Math.Max(0, Math.Ceiling(((double)stop - start) / step));
            if (count > _limits.MaxOperations) throw new TemplateLimitException($"range() of {count} items exceeds the step bound.");
            var items = new List<object?>((int)count);
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) items.Add(i);
            return items;
        }),
    };

    private static long Integer(object? value, string function) =>
        value as long? ?? throw new TemplateException($"{function}() expects integers, not {TypeName(value)}");

    private static string Text(object? value, string function) =>
        value as string ?? throw new TemplateException($"{function}() expects a string, not {TypeName(value)}");

    private object? GetAttribute(object? target, string name, int line)
    {
        switch (target)
        {
            case Undefined u:
                throw new TemplateException($"'{u.Name}' is undefined (cannot read '.{name}')", line);
            case Dictionary<string, object?> dict:
                return name switch
                {
                    "items" => Method((_, _) => dict.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList()),
                    "keys" => Method((_, _) => dict.Keys.Cast<object?>().ToList()),
                    "values" => Method((_, _) => dict.Values.ToList()),
                    "get" => Method((args, _) => args.Count > 0 && args[0] is string key && dict.TryGetValue(key, out var v) ? v : args.Count > 1 ? args[1] : null),
                    _ => dict.TryGetValue(name, out var value) ? value : new Undefined(name),
                };
            case string s:
                return StringMethod(s, name, line);
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : new Undefined(name);
            case LoopContext loop:
                return loop.Get(name);
            default:
                return new Undefined(name);
        }
    }

    private static TemplateFunction Method(TemplateFunction function) => function;

    private object? StringMethod(string s, string name, int line)
    {
        string? Chars(List<object?> args) => args.Count > 0 && args[0] is string c ? c : null;
        return name switch
        {
            "strip" => Method((args, _) => Chars(args) is { } c ? s.Trim(c.ToCharArray()) : s.Trim()),
            "lstrip" => Method((args, _) => Chars(args) is { } c ? s.TrimStart(c.ToCharArray()) : s.TrimStart()),
            "rstrip" => Method((args, _) => Chars(args) is { } c ? s.TrimEnd(c.ToCharArray()) : s.TrimEnd()),
            "upper" => Method((_, _) => s.ToUpperInvariant()),
            "lower" => Method((_, _) => s.ToLowerInvariant()),
            "title" => Method((_, _) => Title(s)),
            "capitalize" => Method((_, _) => Capitalize(s)),
            "startswith" => Method((args, _) => Prefixes(args, "startswith").Any(p => s.StartsWith(p, StringComparison.Ordinal))),
            "endswith" => Method((args, _) => Prefixes(args, "endswith").Any(p => s.EndsWith(p, StringComparison.Ordinal))),
            "split" => Method((args, _) => Split(s, args.Count > 0 ? args[0] as string : null, args.Count > 1 ? Integer(args[1], "split") : -1)),
            "replace" => Method((args, _) =>
            {
                string old = Text(args.ElementAtOrDefault(0), "replace"), replacement = Text(args.ElementAtOrDefault(1), "replace");
                if (old.Length > 0) CheckSize((long)s.Length / old.Length * replacement.Length + s.Length, line);
                return s.Replace(old, replacement, StringComparison.Ordinal);
            }),
            "find" => Method((args, _) => (long)s.IndexOf(Text(args.ElementAtOrDefault(0), "find"), StringComparison.Ordinal)),
            "count" => Method((args, _) =>
            {
                string needle = Text(args.ElementAtOrDefault(0), "count");
                return needle.Length == 0 ? s.Length + 1L : (long)((s.Length - s.Replace(needle, "", StringComparison.Ordinal).Length) / needle.Length);
            }),
            "join" => Method((args, _) => Join(Iterate(args.ElementAtOrDefault(0), line), s, line)),
            "isdigit" => Method((_, _) => s.Length > 0 && s.All(char.IsDigit)),
            _ => new Undefined("str." + name),
        };
    }

    private static IEnumerable<string> Prefixes(List<object?> args, string method) => args.ElementAtOrDefault(0) switch
    {
        string p => [p],
        List<object?> list => list.Select(p => Text(p, method)),
        var other => throw new TemplateException($"{method}() expects a string, not {TypeName(other)}"),
    };

    private static List<object?> Split(string s, string? separator, long max)
    {
        IEnumerable<string> parts = separator is null
            ? s.Split((char[]?)null, max < 0 ? int.MaxValue : (int)Math.Min(max + 1, int.MaxValue), StringSplitOptions.RemoveEmptyEntries)
            : s.Split(separator, max < 0 ? int.MaxValue : (int)Math.Min(max + 1, int.MaxValue));
        return parts.Cast<object?>().ToList();
    }

    private static string Title(string s)
    {
        var chars = s.ToCharArray();
        bool previousIsLetter = false;
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = previousIsLetter ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
            previousIsLetter = char.IsLetter(chars[i]);
        }
        return new string(chars);
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private string Join(IEnumerable<object?> items, string separator, int line)
    {
        var parts = items.Select(ToText).ToList();
        CheckSize(parts.Sum(p => (long)p.Length) + (long)separator.Length * Math.Max(0, parts.Count - 1), line);
        return string.Join(separator, parts);
    }

    private object? ApplyFilter(string name, object? value, Arguments arguments, int line)
    {
        var (args, named) = EvalArguments(arguments);
        object? Arg(int index, string key) => index < args.Count ? args[index] : named.GetValueOrDefault(key);
        switch (name)
        {
            case "safe": return value;
            case "string": return ToText(value);
            case "trim":
                return Arg(0, "chars") is string chars ? ToText(value).Trim(chars.ToCharArray()) : ToText(value).Trim();
            case "upper": return ToText(value).ToUpperInvariant();
            case "lower": return ToText(value).ToLowerInvariant();
            case "title": return Title(ToText(value));
            case "capitalize": return Capitalize(ToText(value));
            case "length" or "count":
                return value switch
                {
                    string s => (long)s.Length,
                    List<object?> l => (long)l.Count,
                    Dictionary<string, object?> d => (long)d.Count,
                    Undefined => 0L,
                    _ => throw new TemplateException($"{TypeName(value)} has no length", line),
                };
            case "first": return Iterate(value, line).DefaultIfEmpty(new Undefined("first")).First();
            case "last": return Iterate(value, line).DefaultIfEmpty(new Undefined("last")).Last();
            case "reverse":
                return value is string text ? new string(text.Reverse().ToArray()) : Iterate(value, line).Reverse().ToList();
            case "list": return Iterate(value, line).ToList();
            case "unique":
            {
                var unique = new List<object?>();
                foreach (var item in Iterate(value, line))
                    if (!unique.Any(u => AreEqual(u, item))) unique.Add(item);
                return unique;
            }
            case "items":
                return value is Dictionary<string, object?> dict
                    ? dict.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList()
                    : value is Undefined ? new List<object?>() : throw new TemplateException($"items expects a dict, not {TypeName(value)}", line);
            case "default" or "d":
            {
                bool boolean = Truthy(Arg(1, "boolean"));
                bool missing = value is Undefined || (boolean && !Truthy(value));
                return missing ? Arg(0, "default_value") ?? "" : value;
            }
            case "join":
            {
                var items = Iterate(value, line);
                if (Arg(1, "attribute") is string attribute) items = items.Select(i => GetAttribute(i, attribute, line));
                return Join(items, Arg(0, "d") as string ?? "", line);
            }
            case "tojson":
            {
                int? indent = Arg(0, "indent") is long n ? (int)Math.Clamp(n, 0, 64) : null;
                string? itemSeparator = null, keySeparator = null;
                if (named.GetValueOrDefault("separators") is List<object?> { Count: 2 } separators)
                    (itemSeparator, keySeparator) = (Text(separators[0], "tojson"), Text(separators[1], "tojson"));
                string json = ToJson(value, indent, Truthy(named.GetValueOrDefault("sort_keys")), itemSeparator, keySeparator);
                CheckSize(json.Length, line);
                return json;
            }
            case "int":
                return value switch
                {
                    long l => l,
                    double d => (long)d,
                    bool b => b ? 1L : 0L,
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) => parsed,
                    _ => Arg(0, "default") ?? 0L,
                };
            case "float":
                return value switch
                {
                    long l => (double)l,
                    double d => d,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) => parsed,
                    _ => Arg(0, "default") ?? 0.0,
                };
            case "abs":
                return value switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), _ => throw new TemplateException($"abs of {TypeName(value)}", line) };
            case "replace":
                return StringMethod(ToText(value), "replace", line) is TemplateFunction replace ? replace(args, named) : null;
            case "selectattr" or "rejectattr":
            {
                bool keep = name == "selectattr";
                string attribute = Text(Arg(0, "attribute"), name);
                string? test = args.Count > 1 ? Text(args[1], name) : null;
                var testArgs = args.Skip(2).ToList();
                return Iterate(value, line).Where(item =>
                {
                    var field = GetAttribute(item, attribute, line);
                    bool passes = test is null ? Truthy(field) : RunTest(test, field, testArgs, line);
                    return passes == keep;
                }).ToList();
            }
            case "select" or "reject":
            {
                bool keep = name == "select";
                string? test = args.Count > 0 ? Text(args[0], name) : null;
                var testArgs = args.Skip(1).ToList();
                return Iterate(value, line).Where(item => (test is null ? Truthy(item) : RunTest(test, item, testArgs, line)) == keep).ToList();
            }
            case "map":
            {
                if (named.GetValueOrDefault("attribute") is string attribute)
                    return Iterate(value, line).Select(item => GetAttribute(item, attribute, line)).ToList();
                string filter = Text(Arg(0, "filter"), "map");
                var rest = new Arguments(arguments.Positional.Skip(1).ToList(), []);
                return Iterate(value, line).Select(item => ApplyFilter(filter, item, rest, line)).ToList();
            }
            default:
                throw new TemplateException($"Unsupported filter '{name}'", line);
        }
    }

    private bool RunTest(string name, object? value, List<object?> args, int line)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw new TemplateException($"Test '{name}' needs an argument", line);
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "mapping" => value is Dictionary<string, object?> or Namespace,
            "iterable" => value is string or List<object?> or Dictionary<string, object?>,
            "sequence" => value is string or List<object?> or Dictionary<string, object?>,
            "callable" => value is TemplateFunction,
            "odd" => value is long o && o % 2 != 0,
            "even" => value is long e && e % 2 == 0,
            "divisibleby" => value is long v && Arg() is long d && d != 0 && v % d == 0,
            "lower" => value is string lower && lower == lower.ToLowerInvariant(),
            "upper" => value is string upper && upper == upper.ToUpperInvariant(),
            "equalto" or "eq" or "==" or "sameas" => AreEqual(value, Arg()),
            "ne" or "!=" => !AreEqual(value, Arg()),
            "lt" or "lessthan" => Compare(value, Arg(), line) < 0,
            "le" => Compare(value, Arg(), line) <= 0,
            "gt" or "greaterthan" => Compare(value, Arg(), line) > 0,
            "ge" => Compare(value, Arg(), line) >= 0,
            "in" => Contains(Arg(), value, line),
            _ => throw new TemplateException($"Unsupported test '{name}'", line),
        };
    }
}
