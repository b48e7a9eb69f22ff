using System.Text;

namespace Loom.Classification;

/// <summary>
/// Labelled texts as TSV: one example per line, <c>label&lt;TAB&gt;text</c>. Inside the text, <c>\n</c>, <c>\t</c> and
/// <c>\\</c> stand for a newline, a tab and a backslash, so multi-line texts fit on one line. Empty lines are skipped.
/// </summary>
public static class LabelledTsv
{
    public static (IReadOnlyList<string> Labels, IReadOnlyList<string> Texts) Read(string path)
    {
        var labels = new List<string>();
        var texts = new List<string>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            int tab = line.IndexOf('\t');
            if (tab <= 0) throw new FormatException($"{Path.GetFileName(path)} line {lineNumber}: expected label<TAB>text");
            labels.Add(line[..tab].Trim());
            texts.Add(Unescape(line[(tab + 1)..]));
        }
        if (labels.Count == 0) throw new FormatException($"{Path.GetFileName(path)} holds no examples");
        return (labels, texts);
    }

    public static void Write(string path, IEnumerable<(string Label, string Text)> examples)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (var (label, text) in examples)
        {
            if (label.Contains('\t') || label.Contains('\n')) throw new ArgumentException($"label '{label}' holds a tab or newline");
            writer.Write(label);
            writer.Write('\t');
            writer.Write(Escape(text));
            writer.Write('\n');
        }
    }

    public static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\r", "").Replace("\n", "\\n");

    public static string Unescape(string text)
    {
        if (!text.Contains('\\')) return text;
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                if (next is 'n' or 't' or '\\') { result.Append(next switch { 'n' => '\n', 't' => '\t', _ => '\\' }); i++; continue; }
            }
            result.Append(text[i]);
        }
        return result.ToString();
    }
}
