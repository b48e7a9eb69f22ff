using System.Globalization;
using System.Text;

namespace Loom.Generation.Templates;

internal enum TokenKind { Text, OutputStart, OutputEnd, StatementStart, StatementEnd, Name, String, Integer, Float, Operator, End }

internal readonly record struct TemplateToken(TokenKind Kind, string Value, int Line);

/// <summary>
/// Splits a template into text and tag tokens. Whitespace follows Hugging Face's chat-template environment:
/// <c>trim_blocks</c> (the newline after a block tag is dropped), <c>lstrip_blocks</c> (indentation before a
/// block tag is dropped) and the <c>-</c> markers (<c>{%-</c>, <c>-}}</c>) that strip all adjacent whitespace.
/// </summary>
internal static class TemplateLexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    public static List<TemplateToken> Tokenize(string source)
    {
        var tokens = new List<TemplateToken>();
        var lines = new LineMap(source);
        int pos = 0;
        bool stripNext = false, trimNewline = false;
        while (pos < source.Length)
        {
            int start = NextTag(source, pos);
            string text = source[pos..start];
            if (stripNext) text = text.TrimStart();
            else if (trimNewline) text = text.StartsWith("\r\n", StringComparison.Ordinal) ? text[2..] : text.StartsWith('\n') ? text[1..] : text;
            stripNext = trimNewline = false;
            if (start == source.Length)
            {
                if (text.Length > 0) tokens.Add(new(TokenKind.Text, text, lines.Of(pos)));
                break;
            }

            char kind = source[start + 1];
            char marker = start + 2 < source.Length ? source[start + 2] : '\0';
            if (marker == '-') text = text.TrimEnd();
            else if (kind != '{' && marker != '+') text = text[..^Indentation(source, start, text.Length)];
            if (text.Length > 0) tokens.Add(new(TokenKind.Text, text, lines.Of(pos)));

            int inner = start + 2 + (marker is '-' or '+' ? 1 : 0);
            if (kind == '#')
            {
                int close = source.IndexOf("#}", inner, StringComparison.Ordinal);
                if (close < 0) throw new TemplateSyntaxException("Unclosed comment", lines.Of(start));
                stripNext = source[close - 1] == '-' && close - 1 >= inner;
                trimNewline = true;
                pos = close + 2;
                continue;
            }

            bool output = kind == '{';
            tokens.Add(new(output ? TokenKind.OutputStart : TokenKind.StatementStart, "", lines.Of(start)));
            pos = LexTag(source, inner, output, tokens, lines, out stripNext);
            tokens.Add(new(output ? TokenKind.OutputEnd : TokenKind.StatementEnd, "", lines.Of(pos)));
            trimNewline = !output;
        }
        tokens.Add(new(TokenKind.End, "", lines.Of(source.Length)));
        return tokens;
    }

    private static int NextTag(string source, int from)
    {
        for (int i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return source.Length;
    }

    // lstrip_blocks: spaces and tabs between the start of the line and a block tag.
    private static int Indentation(string source, int tagStart, int available)
    {
        int j = tagStart;
        while (j > 0 && source[j - 1] is ' ' or '\t') j--;
        bool lineStart = j == 0 || source[j - 1] == '\n';
        return lineStart ? Math.Min(tagStart - j, available) : 0;
    }

    /// <summary>Lexes expression tokens up to the tag's closing delimiter; returns the position after it.</summary>
    private static int LexTag(string s, int pos, bool output, List<TemplateToken> tokens, LineMap lines, out bool stripAfter)
    {
        char closer = output ? '}' : '%';
        int depth = 0;
        while (true)
        {
            while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
            if (pos >= s.Length) throw new TemplateSyntaxException(output ? "Unclosed '{{'" : "Unclosed '{%'", lines.Of(pos));
            int line = lines.Of(pos);
            // Inside an output tag, "}}" closes a dict literal while brackets are open.
            if (depth == 0 || !output)
            {
                if (s[pos] == '-' && pos + 2 < s.Length && s[pos + 1] == closer && s[pos + 2] == '}') { stripAfter = true; return pos + 3; }
                if (s[pos] == closer && pos + 1 < s.Length && s[pos + 1] == '}') { stripAfter = false; return pos + 2; }
            }

            char c = s[pos];
            if (char.IsLetter(c) || c == '_')
            {
                int end = pos;
                while (end < s.Length && (char.IsLetterOrDigit(s[end]) || s[end] == '_')) end++;
                tokens.Add(new(TokenKind.Name, s[pos..end], line));
                pos = end;
            }
            else if (char.IsAsciiDigit(c))
            {
                int end = pos;
                while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '_')) end++;
                bool isFloat = end + 1 < s.Length && s[end] == '.' && char.IsAsciiDigit(s[end + 1]);
                if (isFloat) { end++; while (end < s.Length && char.IsAsciiDigit(s[end])) end++; }
                if (end < s.Length && s[end] is 'e' or 'E' && end + 1 < s.Length && (char.IsAsciiDigit(s[end + 1]) || s[end + 1] is '-' or '+'))
                {
                    isFloat = true;
                    end += 2;
                    while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
                }
                tokens.Add(new(isFloat ? TokenKind.Float : TokenKind.Integer, s[pos..end].Replace("_", ""), line));
                pos = end;
            }
            else if (c is '\'' or '"')
            {
                pos = LexString(s, pos, tokens, line);
            }
            else
            {
                string? op = Operators.FirstOrDefault(o => string.CompareOrdinal(s, pos, o, 0, o.Length) == 0);
                if (op is null) throw new TemplateSyntaxException($"Unexpected character '{c}'", line);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                tokens.Add(new(TokenKind.Operator, op, line));
                pos += op.Length;
            }
        }
    }

    private static int LexString(string s, int pos, List<TemplateToken> tokens, int line)
    {
        char quote = s[pos++];
        var value = new StringBuilder();
        while (true)
        {
            if (pos >= s.Length) throw new TemplateSyntaxException("Unterminated string", line);
            char c = s[pos++];
            if (c == quote) break;
            if (c != '\\') { value.Append(c); continue; }
            if (pos >= s.Length) throw new TemplateSyntaxException("Unterminated string", line);
            char e = s[pos++];
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case '0': value.Append('\0'); break;
                case '\\' or '\'' or '"': value.Append(e); break;
                case '\n': break; // line continuation
                case 'u' or 'x' when pos + (e == 'u' ? 4 : 2) <= s.Length
                    && int.TryParse(s.AsSpan(pos, e == 'u' ? 4 : 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code):
                    value.Append((char)code);
                    pos += e == 'u' ? 4 : 2;
                    break;
                default: value.Append('\\').Append(e); break; // Python keeps unknown escapes verbatim
            }
        }
        tokens.Add(new(TokenKind.String, value.ToString(), line));
        return pos;
    }

    /// <summary>Line numbers by binary search over line starts (tokens of huge templates stay cheap).</summary>
    private sealed class LineMap
    {
        private readonly List<int> _starts = [0];

        public LineMap(string source)
        {
            for (int i = source.IndexOf('\n'); i >= 0; i = source.IndexOf('\n', i + 1)) _starts.Add(i + 1);
        }

        public int Of(int position)
        {
            int index = _starts.BinarySearch(position);
            return (index >= 0 ? index : ~index - 1) + 1;
        }
    }
}
