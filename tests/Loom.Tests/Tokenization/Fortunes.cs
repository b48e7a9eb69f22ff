using System.Text;

namespace Loom.Tests.Tokenization;

/// <summary>The Debian fortunes: every entry of every file in /usr/share/games/fortunes (entries end at a line "%").</summary>
internal static class Fortunes
{
    public const string Directory = "/usr/share/games/fortunes";

    private static readonly Lazy<IReadOnlyList<string>> All = new(Load);

    public static IReadOnlyList<string> Entries => All.Value;

    private static IReadOnlyList<string> Load()
    {
        var entries = new List<string>();
        foreach (var file in System.IO.Directory.GetFiles(Directory).Where(f => Path.GetExtension(f) == "").Order(StringComparer.Ordinal))
        {
            if (new FileInfo(file).LinkTarget is not null) continue;
            var entry = new StringBuilder();
            foreach (var line in File.ReadLines(file, Encoding.UTF8))
            {
                if (line == "%")
                {
                    if (entry.Length > 0) entries.Add(entry.ToString());
                    entry.Clear();
                }
                else entry.Append(line).Append('\n');
            }
            if (entry.Length > 0) entries.Add(entry.ToString());
        }
        if (entries.Count < 1000) throw new InvalidOperationException($"expected the Debian fortunes in {Directory} (apt-get install fortunes)");
        return entries;
    }
}
