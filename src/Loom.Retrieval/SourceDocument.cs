namespace Loom.Retrieval;

/// <summary>A document read from a file (or built in memory): its text split into titled sections.</summary>
/// <param name="Path">Where it came from; the store's key for the document.</param>
/// <param name="Title">A human title (the Markdown/HTML title, <c>ls(1)</c> for a man page, else the file name).</param>
/// <param name="Sections">The body, in order. A section's heading is chunk metadata.</param>
public sealed record SourceDocument(string Path, string Title, IReadOnlyList<DocumentSection> Sections)
{
    /// <summary>A one-section document from plain text.</summary>
    public static SourceDocument FromText(string path, string title, string text) => new(path, title, [new DocumentSection("", text)]);

    /// <summary>The whole body as one string, sections separated by blank lines.</summary>
    public string FullText => string.Join("\n\n", Sections.Select(s => s.Text));
}

/// <summary>A part of a document under one heading (empty heading: the part before any heading).</summary>
public sealed record DocumentSection(string Heading, string Text);

/// <summary>A file that ingestion cannot read (binary, too large, unreadable); ingestion records it and continues.</summary>
public sealed class UnsupportedDocumentException(string path, string problem)
    : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
