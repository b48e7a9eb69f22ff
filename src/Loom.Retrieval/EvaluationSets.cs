using Loom.Data;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Loom.Retrieval;

/// <summary>A query and the document paths that answer it.</summary>
public sealed record EvaluationQuery(string Text, IReadOnlySet<string> Relevant);

/// <summary>A retrieval test collection: documents to index and queries with known answers.</summary>
public sealed record EvaluationSet(string Name, IReadOnlyList<SourceDocument> Documents, IReadOnlyList<EvaluationQuery> Queries);

/// <summary>Test collections built from Debian packages, sampled with a seed so runs are comparable.</summary>
public static partial class EvaluationSets
{
    /// <summary>
    /// WordNet (wordnet-base) as a reverse dictionary. For each sampled synset the document is its entry without the
    /// definition: its words, usage examples and the words of its hypernyms ("kind of"); the query is the definition.
    /// Relevant: that synset's entry. Synsets with definitions under three words are not sampled.
    /// </summary>
    public static EvaluationSet WordNetReverseDictionary(string directory = "/usr/share/wordnet", int size = 1000, int seed = 1)
    {
        var synsets = new Dictionary<string, Synset>();
        foreach (var (file, pos) in new[] { ("data.noun", 'n'), ("data.verb", 'v'), ("data.adj", 'a'), ("data.adv", 'r') })
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"WordNet data file {path} not found (install wordnet-base)", path);
            foreach (var line in File.ReadLines(path))
                if (ParseSynset(line, pos) is { } s) synsets[s.Key] = s;
        }
        var candidates = synsets.Values.Where(s => s.Definition.Split(' ').Length >= 3).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        var sample = Sample(candidates, size, seed);
        var documents = new List<SourceDocument>();
        var queries = new List<EvaluationQuery>();
        foreach (var s in sample)
        {
            var text = string.Join(", ", s.Words) + ".";
            if (s.Examples.Count > 0) text += " Examples: " + string.Join(" ", s.Examples.Select(e => e.TrimEnd('.') + "."));
            var hypernyms = s.Hypernyms.Where(synsets.ContainsKey).SelectMany(h => synsets[h].Words).Distinct().ToList();
            if (hypernyms.Count > 0) text += " Kind of: " + string.Join(", ", hypernyms) + ".";
            var path = $"wordnet:{s.Key}";
            documents.Add(SourceDocument.FromText(path, s.Words[0], text));
            queries.Add(new EvaluationQuery(s.Definition, new HashSet<string> { path }));
        }
        return new EvaluationSet("wordnet", documents, queries);
    }

    private sealed record Synset(string Key, List<string> Words, string Definition, List<string> Examples, List<string> Hypernyms);

    /// <summary>Parses one line of a WordNet data file (wndb(5)); null for the licence header.</summary>
    private static Synset? ParseSynset(string line, char filePos)
    {
        if (line.StartsWith("  ", StringComparison.Ordinal) || line.Length == 0) return null;
        var bar = line.IndexOf(" | ", StringComparison.Ordinal);
        if (bar < 0) return null;
        var fields = line[..bar].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var offset = fields[0];
        var wordCount = int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var words = new List<string>();
        for (var i = 0; i < wordCount; i++) words.Add(AdjectiveMarker().Replace(fields[4 + 2 * i], "").Replace('_', ' '));
        var p = 4 + 2 * wordCount;
        var pointerCount = int.Parse(fields[p], CultureInfo.InvariantCulture);
        var hypernyms = new List<string>();
        for (var i = 0; i < pointerCount; i++)
        {
            var symbol = fields[p + 1 + 4 * i];
            if (symbol is "@" or "@i") hypernyms.Add($"{Normalize(fields[p + 3 + 4 * i][0])}{fields[p + 2 + 4 * i]}");
        }
        var gloss = line[(bar + 3)..].Trim();
        var examples = Quoted().Matches(gloss).Select(m => m.Groups[1].Value.Trim()).Where(e => e.Length > 0).ToList();
        var definition = Quoted().Replace(gloss, "").Trim().TrimEnd(';', ' ').Trim();
        return new Synset($"{Normalize(filePos)}{offset}", words, definition, examples, hypernyms);
    }

    /// <summary>Adjective satellites ('s') live in data.adj with the adjectives.</summary>
    private static char Normalize(char pos) => pos == 's' ? 'a' : pos;

    [GeneratedRegex(@"\([a-z]+\)$")]
    private static partial Regex AdjectiveMarker();
    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex Quoted();

    /// <summary>
    /// Man pages (manpages, manpages-dev and whatever else is installed) as known-item search: the query is the NAME line's
    /// description ("list directory contents"), the relevant document that page with its NAME section removed. Pages with
    /// descriptions under three words, duplicate descriptions (aliases such as bzcmp/bzdiff) and unreadable pages are not
    /// sampled. <paramref name="maxWordsPerPage"/> truncates long pages so embedding a sample stays affordable (0: whole pages).
    /// </summary>
    public static EvaluationSet ManPagesKnownItem(string directory = "/usr/share/man", int size = 500, int seed = 1, int maxWordsPerPage = 400)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"no man pages at {directory} (install manpages)");
        var files = Directory.GetDirectories(directory, "man?").Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal)).Where(ManPageReader.LooksLikeManPage).ToList();
        var random = new Random(seed);
        var shuffled = files.OrderBy(_ => random.Next()).ToList();
        var documents = new List<SourceDocument>();
        var queries = new List<EvaluationQuery>();
        var descriptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var seenText = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in shuffled)
        {
            if (documents.Count >= size) break;
            ManPage page;
            try
            {
                if (new FileInfo(file).Length > DocumentReader.MaxFileBytes) continue;
                page = ManPageReader.ReadFile(file);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { continue; }
            if (page.Description.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 3 || !descriptions.Add(page.Description)) continue;
            var sections = page.Document.Sections.Where(s => !s.Heading.Equals("NAME", StringComparison.OrdinalIgnoreCase) && s.Text.Length > 0).ToList();
            if (maxWordsPerPage > 0) sections = Truncate(sections, maxWordsPerPage);
            if (sections.Count == 0 || !seenText.Add(string.Join("\n", sections.Select(s => s.Text)))) continue;
            documents.Add(page.Document with { Sections = sections });
            queries.Add(new EvaluationQuery(page.Description, new HashSet<string> { file }));
        }
        return new EvaluationSet("manpages", documents, queries);
    }

    private static List<DocumentSection> Truncate(List<DocumentSection> sections, int maxWords)
    {
        var kept = new List<DocumentSection>();
        var budget = maxWords;
        foreach (var s in sections)
        {
            if (budget <= 0) break;
            // Cut after the budget-th word, keeping the text's own line breaks.
            var words = 0;
            var end = s.Text.Length;
            for (var i = 0; i < s.Text.Length; i++)
            {
                if (char.IsWhiteSpace(s.Text[i]) || (i > 0 && !char.IsWhiteSpace(s.Text[i - 1]))) continue;
                if (++words > budget) { end = i; break; }
            }
            kept.Add(s with { Text = s.Text[..end].TrimEnd() });
            budget -= Math.Min(words, budget);
        }
        return kept;
    }

    private static List<T> Sample<T>(List<T> items, int size, int seed)
    {
        var random = new Random(seed);
        return items.OrderBy(_ => random.Next()).Take(size).ToList();
    }
}
