using System.Text.Json;
using System.Text.Unicode;

namespace Loom.Formats;

/// <summary>Reads a JSON file of bounded size, turning I/O and syntax errors into <see cref="ModelFormatException"/>.</summary>
internal static class JsonFile
{
    public static JsonDocument Load(string path, long maxBytes)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new ModelFormatException(path, "the file does not exist");
            if (info.Length > maxBytes) throw new ModelFormatException(path, $"{info.Length} bytes is larger than Loom accepts for this file ({maxBytes})");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read the file: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    public static JsonDocument Parse(ReadOnlyMemory<byte> json, string? path)
    {
        // JsonDocument checks UTF-8 only when a string is read; check it all first so a bad byte is a format error.
        if (!Utf8.IsValid(json.Span)) throw new ModelFormatException(path, "not valid UTF-8");
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
    }
}
