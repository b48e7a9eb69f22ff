using System.Globalization;

namespace Loom.Generation.Templates;

/// <summary>Recursive-descent parser for the Jinja subset, with Jinja's operator precedence.</summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", ">", "<=", ">="];
    private static readonly HashSet<string> NotTestArgument = ["and", "or", "else", "if", "not", "in", "is"];

    private readonly List<TemplateToken> _tokens;
    private readonly int _maxNesting;
    private int _pos;
    private int _blockDepth;

    private TemplateParser(List<TemplateToken> tokens, int maxNesting)
    {
        _tokens = tokens;
        _maxNesting = maxNesting;
    }

    public static IReadOnlyList<Node> Parse(string source, TemplateLimits limits)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source), limits.MaxNesting);
        var (body, end) = parser.ParseBlock();
        if (end is not null) throw new TemplateSyntaxException($"Unexpected '{{% {end} %}}'", parser.Previous.Line);
        return body;
    }

    private TemplateToken Current => _tokens[_pos];
    private TemplateToken Previous => _tokens[Math.Max(0, _pos - 1)];

    /// <summary>Parses nodes until end of input or an unknown block keyword (returned, not consumed beyond its name).</summary>
    private (List<Node> Body, string? EndKeyword) ParseBlock(params string[] endKeywords)
    {
        if (++_blockDepth > _maxNesting) throw new TemplateSyntaxException("Blocks are nested too deeply", Current.Line);
        var nodes = new List<Node>();
        try
        {
            while (true)
            {
                var token = Current;
                switch (token.Kind)
                {
                    case TokenKind.End:
                        if (endKeywords.Length > 0) throw new TemplateSyntaxException($"Missing '{{% {endKeywords[^1]} %}}'", token.Line);
                        return (nodes, null);
                    case TokenKind.Text:
                        _pos++;
                        nodes.Add(new TextNode(token.Value, token.Line));
                        break;
                    case TokenKind.OutputStart:
                        _pos++;
                        nodes.Add(new OutputNode(ParseExpression(), token.Line));
                        Expect(TokenKind.OutputEnd, "'}}'");
                        break;
                    case TokenKind.StatementStart:
                        _pos++;
                        var keyword = ExpectName();
                        if (endKeywords.Contains(keyword)) return (nodes, keyword);
                        nodes.Add(ParseStatement(keyword, token.Line));
                        break;
                    default:
                        throw new TemplateSyntaxException($"Unexpected '{token.Value}'", token.Line);
                }
            }
        }
        finally
        {
            _blockDepth--;
        }
    }

    private Node ParseStatement(string keyword, int line)
    {
        switch (keyword)
        {
            case "if":
            {
                var branches = new List<(Expr, IReadOnlyList<Node>)>();
                var condition = ParseExpression();
                while (true)
                {
                    Expect(TokenKind.StatementEnd, "'%}'");
                    var (body, end) = ParseBlock("elif", "else", "endif");
                    branches.Add((condition, body));
                    if (end == "elif") { condition = ParseExpression(); continue; }
                    IReadOnlyList<Node>? elseBody = null;
                    if (end == "else")
                    {
                        Expect(TokenKind.StatementEnd, "'%}'");
                        (elseBody, _) = ParseBlock("endif");
                    }
                    Expect(TokenKind.StatementEnd, "'%}'");
                    return new IfNode(branches, elseBody, line);
                }
            }
            case "for":
            {
                var targets = new List<string> { ExpectName() };
                while (AcceptOperator(",")) targets.Add(ExpectName());
                if (ExpectName() != "in") throw new TemplateSyntaxException("Expected 'in' in for loop", line);
                var iterable = ParseExpression(allowConditional: false);
                Expr? filter = AcceptName("if") ? ParseExpression(allowConditional: false) : null;
                AcceptName("recursive");
                Expect(TokenKind.StatementEnd, "'%}'");
                var (body, end) = ParseBlock("else", "endfor");
                IReadOnlyList<Node>? elseBody = null;
                if (end == "else")
                {
                    Expect(TokenKind.StatementEnd, "'%}'");
                    (elseBody, _) = ParseBlock("endfor");
                }
                Expect(TokenKind.StatementEnd, "'%}'");
                return new ForNode(targets, iterable, filter, body, elseBody, line);
            }
            case "set":
            {
                string target = ExpectName();
                string? attribute = AcceptOperator(".") ? ExpectName() : null;
                if (AcceptOperator("="))
                {
                    var value = ParseExpression();
                    Expect(TokenKind.StatementEnd, "'%}'");
                    return new SetNode(target, attribute, value, null, line);
                }
                Expect(TokenKind.StatementEnd, "'%}'");
                var (body, _) = ParseBlock("endset");
                Expect(TokenKind.StatementEnd, "'%}'");
                return new SetNode(target, attribute, null, body, line);
            }
            case "macro":
            {
                string name = ExpectName();
                ExpectOperator("(");
                var parameters = new List<(string, Expr?)>();
                while (!AcceptOperator(")"))
                {
                    if (parameters.Count > 0) ExpectOperator(",");
                    if (AcceptOperator(")")) break;
                    string parameter = ExpectName();
                    parameters.Add((parameter, AcceptOperator("=") ? ParseExpression() : null));
                }
                Expect(TokenKind.StatementEnd, "'%}'");
                var (body, _) = ParseBlock("endmacro");
                Expect(TokenKind.StatementEnd, "'%}'");
                return new MacroNode(name, parameters, body, line);
            }
            case "break":
                Expect(TokenKind.StatementEnd, "'%}'");
                return new BreakNode(line);
            case "continue":
                Expect(TokenKind.StatementEnd, "'%}'");
                return new ContinueNode(line);
            case "generation":
            {
                Expect(TokenKind.StatementEnd, "'%}'");
                var (body, _) = ParseBlock("endgeneration");
                Expect(TokenKind.StatementEnd, "'%}'");
                return new BlockNode(body, line);
            }
            default:
                throw new TemplateSyntaxException($"Unsupported statement '{keyword}'", line);
        }
    }

    public Expr ParseExpression(bool allowConditional = true)
    {
        var expr = ParseOr();
        if (allowConditional && AcceptName("if"))
        {
            var condition = ParseOr();
            Expr? otherwise = AcceptName("else") ? ParseExpression() : null;
            expr = Checked(new Conditional(condition, expr, otherwise, expr.Line));
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (AcceptName("or")) left = Checked(new Binary("or", left, ParseAnd(), left.Line));
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (AcceptName("and")) left = Checked(new Binary("and", left, ParseNot(), left.Line));
        return left;
    }

    private Expr ParseNot()
    {
        int line = Current.Line;
        if (AcceptName("not")) return Checked(new Unary("not", Nested(ParseNot), line));
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var left = ParseMath1();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && ComparisonOperators.Contains(Current.Value))
            {
                string op = Current.Value;
                _pos++;
                left = Checked(new Binary(op, left, ParseMath1(), left.Line));
            }
            else if (AcceptName("in")) left = Checked(new Binary("in", left, ParseMath1(), left.Line));
            else if (Current.Kind == TokenKind.Name && Current.Value == "not" && Peek(1) is { Kind: TokenKind.Name, Value: "in" })
            {
                _pos += 2;
                left = Checked(new Binary("not in", left, ParseMath1(), left.Line));
            }
            else return left;
        }
    }

    private Expr ParseMath1() => ParseBinary(ParseConcat, "+", "-");

    private Expr ParseConcat() => ParseBinary(ParseMath2, "~");

    private Expr ParseMath2() => ParseBinary(ParsePow, "*", "/", "//", "%");

    private Expr ParsePow() => ParseBinary(() => ParseUnary(withFilter: true), "**");

    private Expr ParseBinary(Func<Expr> operand, params string[] operators)
    {
        var left = operand();
        while (Current.Kind == TokenKind.Operator && operators.Contains(Current.Value))
        {
            string op = Current.Value;
            _pos++;
            left = Checked(new Binary(op, left, operand(), left.Line));
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        int line = Current.Line;
        Expr node;
        if (AcceptOperator("-")) node = Checked(new Unary("-", Nested(() => ParseUnary(false)), line));
        else if (AcceptOperator("+")) node = Checked(new Unary("+", Nested(() => ParseUnary(false)), line));
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilters(node) : node;
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            int line = Current.Line;
            if (AcceptOperator(".")) node = Checked(new GetAttr(node, Current.Kind == TokenKind.Integer ? Advance().Value : ExpectName(), line));
            else if (AcceptOperator("[")) node = ParseSubscript(node, line);
            else if (AcceptOperator("(")) node = Checked(new Call(node, ParseArguments(), line));
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = null, stop = null, step = null;
        if (!IsOperator(":")) start = Nested(() => ParseExpression());
        if (AcceptOperator(":"))
        {
            if (!IsOperator(":") && !IsOperator("]")) stop = Nested(() => ParseExpression());
            if (AcceptOperator(":") && !IsOperator("]")) step = Nested(() => ParseExpression());
            ExpectOperator("]");
            return Checked(new SliceExpr(target, start, stop, step, line));
        }
        ExpectOperator("]");
        return Checked(new GetItem(target, start!, line));
    }

    private Expr ParseFilters(Expr node)
    {
        while (true)
        {
            int line = Current.Line;
            if (AcceptOperator("|"))
            {
                string name = ExpectName();
                var args = AcceptOperator("(") ? ParseArguments() : Arguments.None;
                node = Checked(new FilterExpr(node, name, args, line));
            }
            else if (AcceptName("is"))
            {
                bool negated = AcceptName("not");
                string name = ExpectName();
                Arguments args;
                if (AcceptOperator("(")) args = ParseArguments();
                else if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                         || (Current.Kind == TokenKind.Name && !NotTestArgument.Contains(Current.Value)))
                    args = new Arguments([ParsePostfix(ParsePrimary())], []);
                else args = Arguments.None;
                node = Checked(new TestExpr(node, name, args, negated, line));
            }
            else if (AcceptOperator("(")) node = Checked(new Call(node, ParseArguments(), line));
            else return node;
        }
    }

    /// <summary>Arguments after '(' up to and including ')'.</summary>
    private Arguments ParseArguments()
    {
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!AcceptOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                ExpectOperator(",");
                if (AcceptOperator(")")) break;
            }
            if (Current.Kind == TokenKind.Name && Peek(1) is { Kind: TokenKind.Operator, Value: "=" })
            {
                string name = Advance().Value;
                _pos++;
                named.Add((name, Nested(() => ParseExpression())));
            }
            else positional.Add(Nested(() => ParseExpression()));
        }
        return new Arguments(positional, named);
    }

    private Expr ParsePrimary()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new Literal(true, token.Line),
                    "false" or "False" => new Literal(false, token.Line),
                    "none" or "None" => new Literal(null, token.Line),
                    _ => new Name(token.Value, token.Line),
                };
            case TokenKind.String:
                string text = token.Value;
                while (Current.Kind == TokenKind.String) text += Advance().Value; // adjacent literals concatenate
                return new Literal(text, token.Line);
            case TokenKind.Integer:
                if (!long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long integer))
                    throw new TemplateSyntaxException($"Integer literal {token.Value} is too large", token.Line);
                return new Literal(integer, token.Line);
            case TokenKind.Float:
                return new Literal(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Operator when token.Value == "(":
            {
                if (AcceptOperator(")")) return new ListExpr([], token.Line);
                var first = Nested(() => ParseExpression());
                if (!IsOperator(","))
                {
                    ExpectOperator(")");
                    return first;
                }
                var items = new List<Expr> { first };
                while (AcceptOperator(",") && !IsOperator(")")) items.Add(Nested(() => ParseExpression()));
                ExpectOperator(")");
                return Checked(new ListExpr(items, token.Line));
            }
            case TokenKind.Operator when token.Value == "[":
            {
                var items = new List<Expr>();
                while (!AcceptOperator("]"))
                {
                    if (items.Count > 0) { ExpectOperator(","); if (AcceptOperator("]")) break; }
                    items.Add(Nested(() => ParseExpression()));
                }
                return Checked(new ListExpr(items, token.Line));
            }
            case TokenKind.Operator when token.Value == "{":
            {
                var pairs = new List<(Expr, Expr)>();
                while (!AcceptOperator("}"))
                {
                    if (pairs.Count > 0) { ExpectOperator(","); if (AcceptOperator("}")) break; }
                    var key = Nested(() => ParseExpression());
                    ExpectOperator(":");
                    pairs.Add((key, Nested(() => ParseExpression())));
                }
                return Checked(new DictExpr(pairs, token.Line));
            }
            default:
                throw new TemplateSyntaxException(token.Kind is TokenKind.OutputEnd or TokenKind.StatementEnd or TokenKind.End
                    ? "Expression expected" : $"Unexpected '{token.Value}'", token.Line);
        }
    }

    // Parser recursion (parentheses, unary chains) is bounded like the tree depth.
    private int _nesting;

    private Expr Nested(Func<Expr> parse)
    {
        if (++_nesting > _maxNesting) throw new TemplateSyntaxException("Expression is nested too deeply", Current.Line);
        try { return parse(); }
        finally { _nesting--; }
    }

    private Expr Checked(Expr expr) =>
        expr.Depth > _maxNesting ? throw new TemplateSyntaxException("Expression is nested too deeply", expr.Line) : expr;

    private TemplateToken? Peek(int offset) => _pos + offset < _tokens.Count ? _tokens[_pos + offset] : null;

    private TemplateToken Advance() => Current.Kind == TokenKind.End ? throw new TemplateSyntaxException("Unexpected end of template", Current.Line) : _tokens[_pos++];

    private bool IsOperator(string op) => Current.Kind == TokenKind.Operator && Current.Value == op;

    private bool AcceptOperator(string op)
    {
        if (!IsOperator(op)) return false;
        _pos++;
        return true;
    }

    private bool AcceptName(string name)
    {
        if (Current.Kind != TokenKind.Name || Current.Value != name) return false;
        _pos++;
        return true;
    }

    private void ExpectOperator(string op)
    {
        if (!AcceptOperator(op)) throw new TemplateSyntaxException($"Expected '{op}' but found '{Describe(Current)}'", Current.Line);
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name) throw new TemplateSyntaxException($"Expected a name but found '{Describe(Current)}'", Current.Line);
        return _tokens[_pos++].Value;
    }

    private void Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind) throw new TemplateSyntaxException($"Expected {what} but found '{Describe(Current)}'", Current.Line);
        _pos++;
    }

    private static string Describe(TemplateToken token) => token.Kind switch
    {
        TokenKind.OutputEnd => "}}",
        TokenKind.StatementEnd => "%}",
        TokenKind.End => "end of template",
        _ => token.Value,
    };
}
