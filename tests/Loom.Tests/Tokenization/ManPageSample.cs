using Loom.Data;

namespace Loom.Tests.Tokenization;

/// <summary>A fixed sample of the installed man pages for parity tests: every 64th page, rendered to text.</summary>
internal static class ManPageSample
{
    private static readonly Lazy<IReadOnlyList<string>> All = new(() =>
        ManPages.Files().Where((_, i) => i % 64 == 0).Select(f => ManPages.Text(ManPageReader.ReadFile(f))).Where(t => t.Length > 0).ToList());

    public static IReadOnlyList<string> Texts => All.Value;
}
