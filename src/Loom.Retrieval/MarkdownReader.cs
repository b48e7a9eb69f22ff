namespace Loom.Retrieval;

/// <summary>Markdown: the first level-1 heading is the title; every ATX heading (#..######) starts a section.
/// Code fences are kept as text (they are often what users search for) and headings inside them are not headings.</summary>
public static partial class MarkdownReader
{
    public static SourceDocument Read(string path, string text)
    {
        var sections = new List<DocumentSection>();
        string? title = null;
        var heading = "";
        var body = new System.Text.StringBuilder();
        var inFence = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal) || line.TrimStart().StartsWith("~~~", StringComparison.Ordinal))
                inFence = !inFence;
            var level = inFence ? 0 : HeadingLevel(line);
            if (level > 0)
            {
                Flush();
                heading = ClosingHashes().Replace(line[level..].Trim(), "");
                if (level == 1 && title is null) title = heading;
                continue;
            }
            body.Append(line).Append('\n');
        }
        Flush();
        return new SourceDocument(path, title ?? System.IO.Path.GetFileNameWithoutExtension(path), sections);

        void Flush()
        {
            var t = body.ToString().Trim();
            if (t.Length > 0 || heading.Length > 0) sections.Add(new DocumentSection(heading, t));
            body.Clear();
        }
    }

    /// <summary>An optional closing sequence "  ##" (it needs a space before it, so "C#" keeps its hash).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(^|\s+)#+$")]
    private static partial System.Text.RegularExpressions.Regex ClosingHashes();

    private static int HeadingLevel(string line)
    {
        var n = 0;
        while (n < line.Length && n < 7 && line[n] == '#') n++;
        return n is >= 1 and <= 6 && (n == line.Length || line[n] == ' ') ? n : 0;
    }
}
