using Loom.Data;
using System.Text;

namespace Loom.Retrieval;

/// <summary>Reads a file into a <see cref="SourceDocument"/> by its name: Markdown (.md), HTML (.html/.htm),
/// man pages (name.N or name.N.gz), anything else as UTF-8 text. Binary, undecodable, empty-after-reading
/// and oversized files raise <see cref="UnsupportedDocumentException"/>.</summary>
public static class DocumentReader
{
    /// <summary>Files above this size are refused rather than read into memory.</summary>
    public const long MaxFileBytes = 32L << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SourceDocument Read(string path)
    {
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes) throw new UnsupportedDocumentException(path, $"file is {length} bytes; the limit is {MaxFileBytes}");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnsupportedDocumentException(path, $"cannot read: {e.Message}");
        }
        var name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        if (ManPageReader.LooksLikeManPage(name))
        {
            if (name.EndsWith(".gz", StringComparison.Ordinal)) bytes = Gunzip(path, bytes);
            return Checked(ManPageReader.Read(path, Decode(path, bytes)).Document);
        }
        if (name.EndsWith(".gz", StringComparison.Ordinal))
            throw new UnsupportedDocumentException(path, "compressed file that is not a man page");
        var text = Decode(path, bytes);
        return Checked(System.IO.Path.GetExtension(name) switch
        {
            ".md" or ".markdown" => MarkdownReader.Read(path, text),
            ".html" or ".htm" or ".xhtml" => HtmlReader.Read(path, text),
            _ => SourceDocument.FromText(path, System.IO.Path.GetFileName(path), text.Trim()),
        });
    }

    private static SourceDocument Checked(SourceDocument document) =>
        document.Sections.All(s => string.IsNullOrWhiteSpace(s.Text))
            ? throw new UnsupportedDocumentException(document.Path, "no text")
            : document;

    private static string Decode(string path, byte[] bytes)
    {
        var probe = bytes.AsSpan(0, Math.Min(bytes.Length, 8192));
        if (probe.IndexOf((byte)0) >= 0) throw new UnsupportedDocumentException(path, "binary file (contains NUL bytes)");
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            throw new UnsupportedDocumentException(path, "not UTF-8 text");
        }
    }

    private static byte[] Gunzip(string path, byte[] bytes)
    {
        try
        {
            using var input = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                output.Write(buffer, 0, n);
                if (output.Length > MaxFileBytes) throw new UnsupportedDocumentException(path, $"decompresses to more than {MaxFileBytes} bytes");
            }
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new UnsupportedDocumentException(path, $"corrupt gzip data: {e.Message}");
        }
    }
}
