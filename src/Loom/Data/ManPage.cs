namespace Loom.Data;

/// <summary>A rendered man page. <paramref name="Description"/> is the NAME line's text after "\-" (the known-item query).</summary>
/// <param name="Title"><c>name(section)</c> from .TH, else the file name without its suffixes.</param>
public sealed record ManPage(string Path, string Title, string Name, string Description, IReadOnlyList<ManPageSection> Sections)
{
    /// <summary>The whole body as one string, sections separated by blank lines.</summary>
    public string FullText => string.Join("\n\n", Sections.Select(s => s.Text));
}

/// <summary>The text under one .SH/.SS heading (empty heading: text before any).</summary>
public sealed record ManPageSection(string Heading, string Text);
