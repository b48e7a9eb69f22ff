using System.Text;

namespace Loom.Data;

/// <summary>One fortune: its category (the file it came from) and its text.</summary>
public sealed record Fortune(string Category, string Text);

/// <summary>Options for reading Debian's <c>fortunes</c> as a labelled set.</summary>
public sealed record FortunesOptions
{
    /// <summary>Where the Debian package installs the fortune files.</summary>
    public string Directory { get; init; } = Fortunes.DefaultDirectory;

    /// <summary>Categories with fewer entries than this are left out.</summary>
    public int MinEntriesPerCategory { get; init; } = 200;
}

/// <summary>
/// Debian <c>fortunes</c> as a labelled text set: one entry per fortune, its file name as the category.
/// Entries are separated by lines holding a single <c>%</c>; the index files (<c>.dat</c>), the <c>.u8</c>
/// links and the offensive set (the <c>off</c> directory) are skipped.
/// </summary>
public static class Fortunes
{
    public const string DefaultDirectory = "/usr/share/games/fortunes";

    /// <summary>True when the fortunes directory exists (the Debian package is installed).</summary>
    public static bool IsInstalled(string directory = DefaultDirectory) => System.IO.Directory.Exists(directory);

    /// <summary>Reads every category with enough entries, in file-name order, entries in file order.</summary>
    public static IReadOnlyList<Fortune> Load(FortunesOptions? options = null)
    {
        options ??= new FortunesOptions();
        if (!System.IO.Directory.Exists(options.Directory))
            throw new DirectoryNotFoundException($"no fortunes at {options.Directory} (install the Debian package 'fortunes')");
        var all = new List<Fortune>();
        foreach (string file in System.IO.Directory.GetFiles(options.Directory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (name.Contains('.')) continue; // .dat indexes, .u8 links
            using var reader = new StreamReader(file, Encoding.UTF8);
            var entries = ParseEntries(reader).ToList();
            if (entries.Count < options.MinEntriesPerCategory) continue;
            all.AddRange(entries.Select(text => new Fortune(name, text)));
        }
        return all;
    }

    /// <summary>Splits a fortune file into its entries: blocks between <c>%</c> lines, trimmed, empty ones dropped.</summary>
    public static IEnumerable<string> ParseEntries(TextReader reader)
    {
        var entry = new StringBuilder();
        for (string? line = reader.ReadLine(); ; line = reader.ReadLine())
        {
            if (line is null || line == "%")
            {
                string text = entry.ToString().Trim();
                if (text.Length > 0) yield return text;
                entry.Clear();
                if (line is null) yield break;
            }
            else
            {
                if (entry.Length > 0) entry.Append('\n');
                entry.Append(line.TrimEnd());
            }
        }
    }

    /// <summary>
    /// A fixed stratified split: within each category the entries are shuffled with <paramref name="seed"/>
    /// and the first round(n × testFraction) go to the test set. Order of each part follows the input.
    /// </summary>
    public static (IReadOnlyList<Fortune> Train, IReadOnlyList<Fortune> Test) Split(
        IReadOnlyList<Fortune> fortunes, double testFraction = 0.2, int seed = 42)
    {
        if (testFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(testFraction), "must be in (0, 1)");
        var isTest = new bool[fortunes.Count];
        var random = new Random(seed);
        foreach (var group in Enumerable.Range(0, fortunes.Count).GroupBy(i => fortunes[i].Category).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            int[] indices = group.ToArray();
            random.Shuffle(indices);
            int testCount = (int)Math.Round(indices.Length * testFraction);
            for (int i = 0; i < testCount; i++) isTest[indices[i]] = true;
        }
        var train = new List<Fortune>();
        var test = new List<Fortune>();
        for (int i = 0; i < fortunes.Count; i++) (isTest[i] ? test : train).Add(fortunes[i]);
        return (train, test);
    }
}
