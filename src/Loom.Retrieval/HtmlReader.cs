using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Loom.Retrieval;

/// <summary>HTML to text: scripts, styles and comments dropped, tags removed, entities decoded;
/// the title is &lt;title&gt; (else the first &lt;h1&gt;); &lt;h1&gt;–&lt;h3&gt; start sections.</summary>
public static partial class HtmlReader
{
    public static SourceDocument Read(string path, string html)
    {
        html = Invisible().Replace(html, " ");
        var titleMatch = TitleTag().Match(html);
        string? title = titleMatch.Success ? ToText(titleMatch.Groups[1].Value) : null;
        html = TitleTag().Replace(html, " ");

        var sections = new List<DocumentSection>();
        var heading = "";
        var position = 0;
        foreach (Match h in HeadingTag().Matches(html))
        {
            Add(heading, html[position..h.Index]);
            heading = ToText(h.Groups[2].Value);
            if (string.IsNullOrEmpty(title) && h.Groups[1].Value == "1") title = heading;
            position = h.Index + h.Length;
        }
        Add(heading, html[position..]);
        return new SourceDocument(path, string.IsNullOrEmpty(title) ? System.IO.Path.GetFileNameWithoutExtension(path) : title, sections);

        void Add(string head, string fragment)
        {
            var text = ToText(fragment);
            if (text.Length > 0 || head.Length > 0) sections.Add(new DocumentSection(head, text));
        }
    }

    /// <summary>Block tags become line breaks (so paragraphs survive), other tags vanish, whitespace collapses per line.</summary>
    private static string ToText(string fragment)
    {
        var withBreaks = BlockTag().Replace(fragment, "\n\n");
        var plain = WebUtility.HtmlDecode(AnyTag().Replace(withBreaks, ""));
        var sb = new StringBuilder();
        foreach (var paragraph in plain.Split("\n\n"))
        {
            var p = Whitespace().Replace(paragraph, " ").Trim();
            if (p.Length > 0) sb.Append(p).Append("\n\n");
        }
        return sb.ToString().Trim();
    }

    [GeneratedRegex(@"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Invisible();
    [GeneratedRegex(@"<title\b[^>]*>(.*?)</title\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex TitleTag();
    [GeneratedRegex(@"<h([1-3])\b[^>]*>(.*?)</h\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex HeadingTag();
    [GeneratedRegex(@"</?(p|div|br|li|ul|ol|tr|table|section|article|header|footer|pre|blockquote|h[4-6])\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockTag();
    [GeneratedRegex(@"<[^>]*>", RegexOptions.Singleline)]
    private static partial Regex AnyTag();
    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
