namespace Loom.Generation.Templates;

// The syntax tree of a template. Expressions know their depth so the parser can refuse trees deep
// enough to overflow the evaluator's stack.

internal abstract record Expr(int Line)
{
    public abstract int Depth { get; }
}

internal sealed record Literal(object? Value, int Line) : Expr(Line) { public override int Depth => 1; }

internal sealed record Name(string Identifier, int Line) : Expr(Line) { public override int Depth => 1; }

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Items.Select(i => i.Depth).DefaultIfEmpty(0).Max();
}

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Pairs, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Pairs.Select(p => Math.Max(p.Key.Depth, p.Value.Depth)).DefaultIfEmpty(0).Max();
}

internal sealed record GetAttr(Expr Target, string Attribute, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Target.Depth;
}

internal sealed record GetItem(Expr Target, Expr Index, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Target.Depth, Index.Depth);
}

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Target.Depth, Math.Max(Start?.Depth ?? 0, Math.Max(Stop?.Depth ?? 0, Step?.Depth ?? 0)));
}

internal sealed record Arguments(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static Arguments None { get; } = new([], []);
    public int Depth => Positional.Select(a => a.Depth).Concat(Named.Select(n => n.Value.Depth)).DefaultIfEmpty(0).Max();
}

internal sealed record Call(Expr Callee, Arguments Args, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Callee.Depth, Args.Depth);
}

internal sealed record FilterExpr(Expr Value, string Filter, Arguments Args, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Value.Depth, Args.Depth);
}

internal sealed record TestExpr(Expr Value, string Test, Arguments Args, bool Negated, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Value.Depth, Args.Depth);
}

internal sealed record Unary(string Operator, Expr Operand, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Operand.Depth;
}

internal sealed record Binary(string Operator, Expr Left, Expr Right, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Left.Depth, Right.Depth);
}

internal sealed record Conditional(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line)
{
    public override int Depth { get; } = 1 + Math.Max(Condition.Depth, Math.Max(Then.Depth, Else?.Depth ?? 0));
}

internal abstract record Node(int Line);

internal sealed record TextNode(string Text, int Line) : Node(Line);

internal sealed record OutputNode(Expr Value, int Line) : Node(Line);

internal sealed record IfNode(IReadOnlyList<(Expr Condition, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node>? Else, int Line) : Node(Line);

internal sealed record ForNode(IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node>? Else, int Line) : Node(Line);

/// <summary><c>set name = value</c>, <c>set ns.attribute = value</c> or a block <c>set name %}…{% endset</c> (Value null).</summary>
internal sealed record SetNode(string Target, string? Attribute, Expr? Value, IReadOnlyList<Node>? Body, int Line) : Node(Line);

internal sealed record MacroNode(string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record BreakNode(int Line) : Node(Line);

internal sealed record ContinueNode(int Line) : Node(Line);

/// <summary>A block rendered as is (<c>{% generation %}</c>, Hugging Face's assistant-mask marker).</summary>
internal sealed record BlockNode(IReadOnlyList<Node> Body, int Line) : Node(Line);
