using Loom.Data;

namespace Loom.Retrieval;

/// <summary>Man pages (rendered by <see cref="ManPageReader"/>) as retrieval documents.</summary>
public static class ManPageDocuments
{
    extension(ManPage page)
    {
        /// <summary>The page as a document: its path, <c>name(section)</c> title and sections.</summary>
        public SourceDocument Document => new(page.Path, page.Title, [.. page.Sections.Select(s => new DocumentSection(s.Heading, s.Text))]);
    }
}
