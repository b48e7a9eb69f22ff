using System.Text;

namespace Loom.Data;

/// <summary>Renders man(7) troff source to plain text without running groff: the macros man pages use
/// (.TH .SH .SS .PP/.P/.LP .TP .IP .B .I .BR .IR .RB .RI .BI .IB .SM .SB, .nf/.fi) and the common escapes
/// (\fB \fI \fR \fP, \-, \(xx, \[xx], \*(xx, \e, \&amp;, \s±n, \c). Requests that only change layout are ignored;
/// macro definitions and conditionals are skipped. Good enough for search; not a typesetter.</summary>
public static class ManPageReader
{
    /// <summary>Reads troff text; the title is <c>name(section)</c> from .TH (else the file name).</summary>
    public static ManPage Read(string path, string troff)
    {
        var sections = new List<ManPageSection>();
        string? title = null;
        var heading = "";
        var paragraph = new StringBuilder();
        var body = new StringBuilder();
        var skippingDefinition = false;
        var skippedBlockDepth = 0;
        var noFill = false;

        foreach (var raw in troff.Replace("\r", "").Split('\n'))
        {
            var line = StripComment(raw);
            if (skippedBlockDepth > 0)
            {
                skippedBlockDepth += Count(line, "\\{") - Count(line, "\\}");
                continue;
            }
            if (skippingDefinition)
            {
                if (line.Replace(" ", "").Replace("\t", "") == "..") skippingDefinition = false;
                continue;
            }
            if (line.Length > 0 && (line[0] == '.' || line[0] == '\''))
            {
                var (macro, args) = SplitRequest(line);
                switch (macro)
                {
                    case "TH":
                        if (args.Count >= 2) title = $"{Render(args[0]).ToLowerInvariant()}({Render(args[1])})";
                        else if (args.Count == 1) title = Render(args[0]).ToLowerInvariant();
                        break;
                    case "SH" or "SS":
                        EndSection();
                        heading = Render(string.Join(' ', args));
                        break;
                    case "PP" or "P" or "LP" or "sp" or "br" or "TP" or "HP" or "RS" or "RE" or "in" or "EX" or "EE":
                        EndParagraph();
                        break;
                    case "IP":
                        EndParagraph();
                        if (args.Count > 0) AppendText(Render(args[0]));
                        break;
                    case "nf": EndParagraph(); noFill = true; break;
                    case "fi": EndParagraph(); noFill = false; break;
                    case "B" or "I" or "SM" or "SB":
                        AppendText(Render(string.Join(' ', args)));
                        break;
                    case "BR" or "IR" or "RB" or "RI" or "BI" or "IB":
                        AppendText(Render(string.Concat(args)));
                        break;
                    case "de" or "de1" or "am" or "ig":
                        skippingDefinition = true;
                        break;
                    case "if" or "ie" or "el":
                        // Conditional blocks "\{ ... \}" hold setup for particular formatters, not text.
                        skippedBlockDepth = Math.Max(0, Count(line, "\\{") - Count(line, "\\}"));
                        break;
                    case "UR" or "MT":
                        if (args.Count > 0) AppendText(Render(args[0]));
                        break;
                    default:
                        break; // layout requests (.ad .na .hy .ft .ne .ta .ds .if .ie .el .so ...) carry no text we want
                }
                continue;
            }
            var text = Render(line);
            if (text.Trim().Length == 0) { EndParagraph(); continue; }
            AppendText(text);
            if (noFill) paragraph.Append('\n');
        }
        EndSection();

        var name = System.IO.Path.GetFileName(path);
        var description = "";
        var nameSection = sections.FirstOrDefault(s => s.Heading.Equals("NAME", StringComparison.OrdinalIgnoreCase));
        if (nameSection is not null)
        {
            var line = nameSection.Text.Split("\n\n")[0];
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash >= 0)
            {
                name = line[..dash].Trim();
                description = line[(dash + 3)..].Trim();
            }
        }
        return new ManPage(path, title ?? StripManSuffix(System.IO.Path.GetFileName(path)), name, description, sections);

        void AppendText(string text)
        {
            if (paragraph.Length > 0 && paragraph[^1] != '\n') paragraph.Append(' ');
            paragraph.Append(text.Trim());
        }
        void EndParagraph()
        {
            var p = paragraph.ToString().Trim();
            if (p.Length > 0) body.Append(p).Append("\n\n");
            paragraph.Clear();
        }
        void EndSection()
        {
            EndParagraph();
            var t = body.ToString().Trim();
            if (t.Length > 0 || heading.Length > 0) sections.Add(new ManPageSection(heading, t));
            body.Clear();
        }
    }

    /// <summary>Reads a man page file, gunzipping it when it ends in .gz.</summary>
    public static ManPage ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        using var input = path.EndsWith(".gz", StringComparison.Ordinal) ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress) : (Stream)stream;
        using var reader = new StreamReader(input, Encoding.UTF8);
        return Read(path, reader.ReadToEnd());
    }

    /// <summary>True for names like <c>ls.1</c>, <c>ls.1.gz</c>, <c>printf.3posix.gz</c>.</summary>
    public static bool LooksLikeManPage(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.Ordinal)) name = name[..^3];
        var ext = System.IO.Path.GetExtension(name);
        return ext.Length >= 2 && ext[1] is >= '1' and <= '9' && (ext.Length == 2 || char.IsLetter(ext[2]));
    }

    private static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static string StripManSuffix(string name)
    {
        if (name.EndsWith(".gz", StringComparison.Ordinal)) name = name[..^3];
        return System.IO.Path.GetFileNameWithoutExtension(name);
    }

    private static string StripComment(string line)
    {
        if (line.StartsWith(".\\\"", StringComparison.Ordinal) || line.StartsWith("'\\\"", StringComparison.Ordinal)) return "";
        for (var i = 0; i + 1 < line.Length; i++)
        {
            if (line[i] != '\\') continue;
            if (line[i + 1] == '"') return line[..i];
            i++; // skip the escaped character
        }
        return line;
    }

    /// <summary>Splits ".BR foo (1)" into ("BR", ["foo", "(1)"]), honouring double quotes.</summary>
    private static (string Macro, List<string> Args) SplitRequest(string line)
    {
        var i = 1;
        while (i < line.Length && line[i] is ' ' or '\t') i++;
        var start = i;
        while (i < line.Length && line[i] is not ' ' and not '\t') i++;
        var macro = line[start..i];
        var args = new List<string>();
        while (i < line.Length)
        {
            while (i < line.Length && line[i] is ' ' or '\t') i++;
            if (i >= line.Length) break;
            var sb = new StringBuilder();
            if (line[i] == '"')
            {
                i++;
                while (i < line.Length)
                {
                    if (line[i] == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                    if (line[i] == '"') { i++; break; }
                    sb.Append(line[i++]);
                }
            }
            else
            {
                while (i < line.Length && line[i] is not ' ' and not '\t')
                {
                    if (line[i] == '\\' && i + 1 < line.Length) { sb.Append(line[i]).Append(line[i + 1]); i += 2; continue; }
                    sb.Append(line[i++]);
                }
            }
            args.Add(sb.ToString());
        }
        return (macro, args);
    }

    /// <summary>Resolves troff escapes in one line of text.</summary>
    internal static string Render(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length) { sb.Append(c); continue; }
            var e = s[++i];
            switch (e)
            {
                case 'f': // font: \fB, \f(CW, \f[CR]
                    i = SkipName(s, i + 1) - 1;
                    break;
                case 's': // size: \s0, \s-1, \s+2, \s(12, \s[12]
                    {
                        var j = i + 1;
                        if (j < s.Length && s[j] is '+' or '-') j++;
                        if (j < s.Length && s[j] == '(') j += 3;
                        else if (j < s.Length && s[j] == '[') { while (j < s.Length && s[j] != ']') j++; j++; }
                        else if (j < s.Length && char.IsDigit(s[j])) { j++; if (j < s.Length && char.IsDigit(s[j]) && s[j - 1] is '1' or '2' or '3') j++; }
                        i = Math.Min(j, s.Length) - 1;
                        break;
                    }
                case '(':
                    if (i + 2 < s.Length) { sb.Append(Special(s.Substring(i + 1, 2))); i += 2; }
                    break;
                case '[':
                    {
                        var end = s.IndexOf(']', i);
                        if (end < 0) { i = s.Length; break; }
                        sb.Append(Special(s[(i + 1)..end]));
                        i = end;
                        break;
                    }
                case '*': // string: \*(lq, \*[name], \*R
                    {
                        var end = SkipName(s, i + 1);
                        var name = s[(i + 1)..end].Trim('(', '[', ']');
                        sb.Append(name switch { "lq" or "Lq" => "\"", "rq" or "Rq" => "\"", "R" => "®", "Tm" => "™", _ => "" });
                        i = end - 1;
                        break;
                    }
                case 'n': // number register
                case 'm' or 'g' or 'k' or 'z' or 'Y' or 'V':
                    i = SkipName(s, i + 1) - 1;
                    break;
                case '-': sb.Append('-'); break;
                case 'e' or '\\': sb.Append('\\'); break;
                case ' ' or '~' or '0': sb.Append(' '); break;
                case '\'': sb.Append('\''); break;
                case '`': sb.Append('`'); break;
                case '.': sb.Append('.'); break;
                case '&' or '|' or '^' or '%' or 'c' or ':' or ')' or '/' or ',' or 'd' or 'u' or 'p' or 'a' or 't': break;
                case 'h' or 'v' or 'w' or 'l' or 'L' or 'o' or 'b' or 'x' or 'D' or 'X' or 'N' or 'Z' or 'A' or 'B' or 'C' or 'R' or 'S':
                    // \h'...' and friends take a delimited argument
                    if (i + 1 < s.Length)
                    {
                        var delimiter = s[i + 1];
                        var end = s.IndexOf(delimiter, i + 2);
                        i = end < 0 ? s.Length : end;
                    }
                    break;
                default: sb.Append(e); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Index after a troff name starting at i: one char, "(xx", or "[name]".</summary>
    private static int SkipName(string s, int i)
    {
        if (i >= s.Length) return s.Length;
        if (s[i] == '(') return Math.Min(i + 3, s.Length);
        if (s[i] == '[') { var end = s.IndexOf(']', i); return end < 0 ? s.Length : end + 1; }
        return i + 1;
    }

    private static string Special(string name) => name switch
    {
        "em" => "—", "en" => "–", "hy" or "mi" or "-" => "-", "aq" or "cq" or "oq" => "'", "dq" or "lq" or "rq" => "\"",
        "bu" => "•", "co" => "©", "rg" => "®", "tm" => "™", "de" => "°", "<=" => "<=", ">=" => ">=", "ti" or "ap" => "~",
        "ha" or "a^" => "^", "rs" => "\\", "ba" or "or" => "|", "sl" => "/", "mu" => "×", "pl" => "+", "eq" => "=",
        "lh" or "rh" => "", "sc" => "§", "ga" => "`", "aa" => "´", "ul" or "ru" => "_", "dg" => "†", "->" => "->", "<-" => "<-",
        _ when name.StartsWith("u", StringComparison.Ordinal) && name.Length >= 5 && int.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.HexNumber, null, out var cp)
            && cp is > 0 and < 0x110000 and (< 0xD800 or > 0xDFFF) => char.ConvertFromUtf32(cp),
        _ => "",
    };
}
