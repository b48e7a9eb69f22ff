namespace Loom.Tests.Bert;

/// <summary>Real English sentences from Debian's fortunes (entries separated by a line "%").</summary>
internal static class Fortunes
{
    public const string Folder = "/usr/share/games/fortunes";

    /// <summary>Entries in file order (files sorted by name), whitespace collapsed, empty ones skipped.</summary>
    public static IEnumerable<string> Read()
    {
        foreach (var file in Directory.GetFiles(Folder).Where(f => Path.GetExtension(f) == "").Order(StringComparer.Ordinal))
        {
            var entry = new System.Text.StringBuilder();
            foreach (var line in File.ReadLines(file))
            {
                if (line == "%")
                {
                    var text = Collapse(entry.ToString());
                    if (text.Length > 0) yield return text;
                    entry.Clear();
                }
                else entry.Append(line).Append(' ');
            }
            var last = Collapse(entry.ToString());
            if (last.Length > 0) yield return last;
        }
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
