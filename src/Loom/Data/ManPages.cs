namespace Loom.Data;

/// <summary>
/// The installed man pages (Debian <c>manpages</c> and <c>manpages-dev</c>, plus whatever else put pages in
/// <c>/usr/share/man/man*/</c>) as a text corpus: each page rendered by <see cref="ManPageReader"/>. Symbolic links
/// (aliases of another page) and <c>.so</c> stubs (no text of their own) are left out, so each text occurs once;
/// translations in the language directories are not included.
/// </summary>
public static class ManPages
{
    public const string DefaultDirectory = "/usr/share/man";

    /// <summary>True when <paramref name="directory"/> has at least one man* section directory.</summary>
    public static bool IsInstalled(string directory = DefaultDirectory) =>
        Directory.Exists(directory) && Directory.GetDirectories(directory, "man?").Length > 0;

    /// <summary>The page files of the man* sections in ordinal order, links excluded.</summary>
    /// <exception cref="DirectoryNotFoundException">no man pages are installed there</exception>
    public static IReadOnlyList<string> Files(string directory = DefaultDirectory)
    {
        if (!IsInstalled(directory))
            throw new DirectoryNotFoundException($"no man pages at {directory}/man*/ (install the Debian packages 'manpages' and 'manpages-dev')");
        return Directory.GetDirectories(directory, "man?").Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal))
            .Where(f => ManPageReader.LooksLikeManPage(f) && new FileInfo(f).LinkTarget is null)
            .ToList();
    }

    /// <summary>
    /// The rendered text of every page, in <see cref="Files"/> order: the title line, then each section's heading and
    /// text. Pages are read and rendered on all cores but yielded in order; pages with no text are skipped.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">no man pages are installed there</exception>
    /// <exception cref="InvalidDataException">a page is not valid gzip (the message names the file)</exception>
    public static IEnumerable<string> Texts(string directory = DefaultDirectory, CancellationToken cancellationToken = default) =>
        Render(Files(directory), cancellationToken);

    private static IEnumerable<string> Render(IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        foreach (var batch in files.Chunk(256))
        {
            var texts = new string[batch.Length];
            var errors = new Exception?[batch.Length];
            Parallel.For(0, batch.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                try { texts[i] = Text(ManPageReader.ReadFile(batch[i])); }
                catch (InvalidDataException e) { errors[i] = new InvalidDataException($"{batch[i]}: {e.Message}", e); }
            });
            for (int i = 0; i < batch.Length; i++)
            {
                if (errors[i] is { } error) throw error;
                if (texts[i].Length > 0) yield return texts[i];
            }
        }
    }

    /// <summary>A page as plain text: its title, then "HEADING\ntext" per section, blank lines between.</summary>
    public static string Text(ManPage page) =>
        page.Sections.All(s => s.Text.Length == 0) ? ""
            : string.Join("\n\n", page.Sections.Select(s => s.Heading.Length == 0 ? s.Text : $"{s.Heading}\n{s.Text}").Prepend(page.Title));
}
