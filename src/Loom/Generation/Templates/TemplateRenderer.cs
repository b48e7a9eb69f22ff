using System.Text;
using static Loom.Generation.Templates.TemplateValues;

namespace Loom.Generation.Templates;

/// <summary>
/// Executes a parsed template once. Follows Jinja's semantics where chat templates depend on them:
/// loop scopes (assignments inside a for loop stay inside), <c>namespace()</c>, undefined values that print
/// as empty, Python truthiness, <c>and</c>/<c>or</c> returning operands. Every step is counted against
/// <see cref="TemplateLimits"/>.
/// </summary>
internal sealed partial class TemplateRenderer
{
    private enum Flow { Normal, Break, Continue }

    private readonly TemplateLimits _limits;
    private List<Dictionary<string, object?>> _scopes;
    private StringBuilder _output = new();
    private long _operations;
    private long _written;
    private int _callDepth;

    public TemplateRenderer(TemplateLimits limits, Dictionary<string, object?> variables)
    {
        _limits = limits;
        var globals = Globals();
        foreach (var (name, value) in variables) globals[name] = value;
        _scopes = [globals, []];
    }

    public string Render(IReadOnlyList<Node> template)
    {
        if (Execute(template) != Flow.Normal) throw new TemplateSyntaxException("'break' or 'continue' outside a loop", 0);
        return _output.ToString();
    }

    private void Tick()
    {
        if (++_operations > _limits.MaxOperations)
            throw new TemplateLimitException($"The template took more than {_limits.MaxOperations} steps (a runaway loop?).");
    }

    private void Write(string text)
    {
        _written += text.Length;
        if (_written > _limits.MaxOutputLength)
            throw new TemplateLimitException($"The template wrote more than {_limits.MaxOutputLength} characters.");
        _output.Append(text);
    }

    /// <summary>Refuses strings and lists larger than the output bound before they are built.</summary>
    private void CheckSize(long size, int line)
    {
        if (size > _limits.MaxOutputLength)
            throw new TemplateLimitException($"A value of {size} items/characters exceeds the bound of {_limits.MaxOutputLength} (line {line}).");
    }

    private Flow Execute(IReadOnlyList<Node> nodes)
    {
        foreach (var node in nodes)
        {
            var flow = Execute(node);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Execute(Node node)
    {
        Tick();
        switch (node)
        {
            case TextNode text:
                Write(text.Text);
                return Flow.Normal;
            case OutputNode output:
                Write(ToText(Eval(output.Value)));
                return Flow.Normal;
            case IfNode branch:
                foreach (var (condition, body) in branch.Branches)
                    if (Truthy(Eval(condition))) return Execute(body);
                return branch.Else is null ? Flow.Normal : Execute(branch.Else);
            case ForNode loop:
                return ExecuteFor(loop);
            case SetNode set:
                Assign(set);
                return Flow.Normal;
            case MacroNode macro:
                _scopes[^1][macro.Name] = DefineMacro(macro);
                return Flow.Normal;
            case BlockNode block:
                return Execute(block.Body);
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            default:
                throw new TemplateException($"Unknown node {node.GetType().Name}", node.Line);
        }
    }

    private Flow ExecuteFor(ForNode loop)
    {
        var source = Iterate(Eval(loop.Iterable), loop.Line);
        var items = new List<object?>();
        var scope = new Dictionary<string, object?>();
        _scopes.Add(scope);
        try
        {
            foreach (var item in source)
            {
                Tick();
                if (loop.Filter is not null)
                {
                    scope.Clear();
                    Bind(scope, loop.Targets, item, loop.Line);
                    if (!Truthy(Eval(loop.Filter))) continue;
                }
                items.Add(item);
            }

            var context = new LoopContext(items);
            for (int i = 0; i < items.Count; i++)
            {
                scope.Clear();
                Bind(scope, loop.Targets, items[i], loop.Line);
                context.Index0 = i;
                scope["loop"] = context;
                if (Execute(loop.Body) == Flow.Break) break;
            }
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
        }
        return items.Count == 0 && loop.Else is not null ? Execute(loop.Else) : Flow.Normal;
    }

    private static void Bind(Dictionary<string, object?> scope, IReadOnlyList<string> targets, object? item, int line)
    {
        if (targets.Count == 1)
        {
            scope[targets[0]] = item;
            return;
        }
        if (item is not List<object?> tuple || tuple.Count != targets.Count)
            throw new TemplateException($"Cannot unpack {TypeName(item)} into {targets.Count} loop variables", line);
        for (int i = 0; i < targets.Count; i++) scope[targets[i]] = tuple[i];
    }

    private IEnumerable<object?> Iterate(object? value, int line) => value switch
    {
        Undefined => [],
        List<object?> list => list.ToList(), // a snapshot, like Python iterating a copy for our purposes
        Dictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()),
        Namespace ns => ns.Attributes.Keys.Cast<object?>().ToList(),
        _ => throw new TemplateException($"Cannot iterate over {TypeName(value)}", line),
    };

    private void Assign(SetNode set)
    {
        object? value;
        if (set.Value is not null) value = Eval(set.Value);
        else value = Capture(() => Execute(set.Body!));

        if (set.Attribute is null)
        {
            _scopes[^1][set.Target] = value;
            return;
        }
        if (Lookup(set.Target, set.Line) is not Namespace ns)
            throw new TemplateException($"Cannot set '{set.Target}.{set.Attribute}': only namespace() objects have assignable attributes", set.Line);
        ns.Attributes[set.Attribute] = value;
    }

    private string Capture(Action render)
    {
        var saved = _output;
        _output = new StringBuilder();
        try
        {
            render();
            return _output.ToString();
        }
        finally
        {
            _output = saved;
        }
    }

    private TemplateFunction DefineMacro(MacroNode macro)
    {
        var closure = _scopes.ToList();
        return (positional, named) =>
        {
            if (++_callDepth > _limits.MaxCallDepth)
                throw new TemplateLimitException($"Macro calls nest deeper than {_limits.MaxCallDepth} (runaway recursion in '{macro.Name}'?).");
            if (positional.Count > macro.Parameters.Count)
                throw new TemplateException($"Macro '{macro.Name}' takes {macro.Parameters.Count} arguments, not {positional.Count}", macro.Line);
            var saved = _scopes;
            var scope = new Dictionary<string, object?>();
            _scopes = [.. closure, scope];
            try
            {
                for (int i = 0; i < macro.Parameters.Count; i++)
                {
                    var (name, fallback) = macro.Parameters[i];
                    scope[name] = i < positional.Count ? positional[i]
                        : named.TryGetValue(name, out var value) ? value
                        : fallback is not null ? Eval(fallback)
                        : new Undefined(name);
                }
                return Capture(() => Execute(macro.Body));
            }
            finally
            {
                _scopes = saved;
                _callDepth--;
            }
        };
    }

    private object? Lookup(string name, int line)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
            if (_scopes[i].TryGetValue(name, out var value)) return value;
        return new Undefined(name);
    }

    private object? Eval(Expr expr)
    {
        Tick();
        switch (expr)
        {
            case Literal literal:
                return literal.Value;
            case Name name:
                return Lookup(name.Identifier, name.Line);
            case ListExpr list:
                return list.Items.Select(Eval).ToList();
            case DictExpr dict:
            {
                var result = new Dictionary<string, object?>();
                foreach (var (key, value) in dict.Pairs)
                    result[Eval(key) as string ?? throw new TemplateException("Only string keys are supported in dict literals", dict.Line)] = Eval(value);
                return result;
            }
            case GetAttr attr:
                return GetAttribute(Eval(attr.Target), attr.Attribute, attr.Line);
            case GetItem item:
                return GetItemOf(Eval(item.Target), Eval(item.Index), item.Line);
            case SliceExpr slice:
                return Slice(Eval(slice.Target), slice.Start is null ? null : Eval(slice.Start), slice.Stop is null ? null : Eval(slice.Stop),
                    slice.Step is null ? null : Eval(slice.Step), slice.Line);
            case Call call:
            {
                var callee = Eval(call.Callee);
                var (positional, named) = EvalArguments(call.Args);
                return callee switch
                {
                    TemplateFunction function => function(positional, named),
                    Undefined u => throw new TemplateException($"'{u.Name}' is undefined and cannot be called", call.Line),
                    _ => throw new TemplateException($"{TypeName(callee)} is not callable", call.Line),
                };
            }
            case FilterExpr filter:
                return ApplyFilter(filter.Filter, Eval(filter.Value), filter.Args, filter.Line);
            case TestExpr test:
            {
                var (positional, _) = EvalArguments(test.Args);
                return RunTest(test.Test, Eval(test.Value), positional, test.Line) != test.Negated;
            }
            case Unary unary:
            {
                var operand = Eval(unary.Operand);
                return unary.Operator switch
                {
                    "not" => !Truthy(operand),
                    "-" => operand switch
                    {
                        long l => l == long.MinValue ? throw new TemplateLimitException($"Integer overflow (line {unary.Line})") : (object)-l,
                        double d => -d,
                        _ => throw new TemplateException($"Cannot negate {TypeName(operand)}", unary.Line),
                    },
                    _ => IsNumber(operand) ? operand : throw new TemplateException($"Cannot apply unary + to {TypeName(operand)}", unary.Line),
                };
            }
            case Binary binary:
                return EvalBinary(binary);
            case Conditional conditional:
                return Truthy(Eval(conditional.Condition)) ? Eval(conditional.Then)
                    : conditional.Else is null ? new Undefined("conditional") : Eval(conditional.Else);
            default:
                throw new TemplateException($"Unknown expression {expr.GetType().Name}", expr.Line);
        }
    }

    private (List<object?> Positional, Dictionary<string, object?> Named) EvalArguments(Arguments args) =>
        (args.Positional.Select(Eval).ToList(), args.Named.ToDictionary(n => n.Name, n => Eval(n.Value)));

    private object? EvalBinary(Binary binary)
    {
        var left = Eval(binary.Left);
        switch (binary.Operator)
        {
            case "and": return Truthy(left) ? Eval(binary.Right) : left;
            case "or": return Truthy(left) ? left : Eval(binary.Right);
        }
        var right = Eval(binary.Right);
        int line = binary.Line;
        switch (binary.Operator)
        {
            case "==": return AreEqual(left, right);
            case "!=": return !AreEqual(left, right);
            case "<": return Compare(left, right, line) < 0;
            case ">": return Compare(left, right, line) > 0;
            case "<=": return Compare(left, right, line) <= 0;
            case ">=": return Compare(left, right, line) >= 0;
            case "in": return Contains(right, left, line);
            case "not in": return !Contains(right, left, line);
            case "~":
            {
                string a = ToText(left), b = ToText(right);
                CheckSize((long)a.Length + b.Length, line);
                return a + b;
            }
            case "+":
                switch (left, right)
                {
                    case (string a, string b):
                        CheckSize((long)a.Length + b.Length, line);
                        return a + b;
                    case (List<object?> a, List<object?> b):
                        CheckSize((long)a.Count + b.Count, line);
                        return a.Concat(b).ToList();
                }
                break;
            case "*":
                switch (left, right)
                {
                    case (string s, long n):
                        CheckSize(s.Length * Math.Max(0, n), line);
                        return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));
                    case (List<object?> list, long n):
                        CheckSize(list.Count * Math.Max(0, n), line);
                        return Enumerable.Repeat(list, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
                }
                break;
        }
        return Arithmetic(binary.Operator, left, right, line);
    }

    private static object Arithmetic(string op, object? left, object? right, int line)
    {
        if (!IsNumber(left) || !IsNumber(right))
            throw new TemplateException($"Unsupported operand types for {op}: {TypeName(left)} and {TypeName(right)}", line);
        if (op == "/")
        {
            double divisor = ToDouble(right);
            return divisor == 0 ? throw new TemplateException("Division by zero", line) : ToDouble(left) / divisor;
        }
        if (left is long a && right is long b)
        {
            try
            {
                if (b == 0 && op is "//" or "%") throw new TemplateException("Division by zero", line);
                return op switch
                {
                    "+" => (object)checked(a + b),
                    "-" => checked(a - b),
                    "*" => checked(a * b),
                    "//" => FloorDivide(a, b),
                    "%" => a - b * FloorDivide(a, b),
                    "**" when b >= 0 => IntegerPower(a, b),
                    "**" => Math.Pow(a, b),
                    _ => throw new TemplateException($"Unknown operator {op}", line),
                };
            }
            catch (OverflowException)
            {
                throw new TemplateLimitException($"Integer overflow in {op} (line {line})");
            }
        }
        double x = ToDouble(left), y = ToDouble(right);
        return op switch
        {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "//" => y == 0 ? throw new TemplateException("Division by zero", line) : Math.Floor(x / y),
            "%" => y == 0 ? throw new TemplateException("Division by zero", line) : x - y * Math.Floor(x / y),
            "**" => Math.Pow(x, y),
            _ => throw new TemplateException($"Unknown operator {op}", line),
        };
    }

    private static long FloorDivide(long a, long b)
    {
        long quotient = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? quotient - 1 : quotient;
    }

    private static long IntegerPower(long value, long exponent)
    {
        long result = 1;
        for (long i = 0; i < exponent; i++)
        {
            result = checked(result * value);
            if (result is 0 or 1 && value is 0 or 1) break;
        }
        return result;
    }

    private static bool Contains(object? haystack, object? needle, int line) => haystack switch
    {
        string s when needle is string n => s.Contains(n, StringComparison.Ordinal),
        List<object?> list => list.Any(item => AreEqual(item, needle)),
        Dictionary<string, object?> dict => needle is string key && dict.ContainsKey(key),
        Namespace ns => needle is string key && ns.Attributes.ContainsKey(key),
        Undefined => false,
        _ => throw new TemplateException($"Cannot test membership in {TypeName(haystack)}", line),
    };

    private object? GetItemOf(object? target, object? index, int line)
    {
        switch (target)
        {
            case Undefined u:
                throw new TemplateException($"'{u.Name}' is undefined (cannot read [{ToText(index)}])", line);
            case List<object?> list when index is long i:
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"[{index}]");
            case string s when index is long i:
                if (i < 0) i += s.Length;
                return i >= 0 && i < s.Length ? s[(int)i].ToString() : new Undefined($"[{index}]");
            case Dictionary<string, object?> dict when index is string key:
                return dict.TryGetValue(key, out var value) ? value : new Undefined(key);
            case Namespace or LoopContext when index is string key:
                return GetAttribute(target, key, line);
            default:
                return new Undefined($"[{ToText(index)}]");
        }
    }

    private object? Slice(object? target, object? start, object? stop, object? step, int line)
    {
        long stride = step switch { null => 1, long l => l, _ => throw new TemplateException("Slice step must be an integer", line) };
        if (stride == 0) throw new TemplateException("Slice step cannot be zero", line);
        int length = target switch
        {
            List<object?> list => list.Count,
            string s => s.Length,
            Undefined u => throw new TemplateException($"'{u.Name}' is undefined (cannot slice)", line),
            _ => throw new TemplateException($"Cannot slice {TypeName(target)}", line),
        };
        long Bound(object? value, long fallback)
        {
            if (value is null) return fallback;
            if (value is not long v) throw new TemplateException("Slice bounds must be integers", line);
            if (v < 0) v += length;
            return stride > 0 ? Math.Clamp(v, 0, length) : Math.Clamp(v, -1, length - 1);
        }
        long from = Bound(start, stride > 0 ? 0 : length - 1), to = Bound(stop, stride > 0 ? length : -1);
        var indices = new List<int>();
        for (long i = from; stride > 0 ? i < to : i > to; i += stride) indices.Add((int)i);
        return target is string text
            ? string.Concat(indices.Select(i => text[i]))
            : indices.Select(i => ((List<object?>)target!)[i]).ToList();
    }
}
