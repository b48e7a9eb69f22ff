using System.Globalization;
using System.Text;
using Loom.Formats;

namespace Loom.Embeddings;

/// <summary>Reader of the word2vec text and binary formats that refuses bad files by name instead of misreading them.</summary>
internal static class Word2VecFormat
{
    private const int MaxDimensions = 1 << 16;
    private const int MaxWordBytes = 1 << 16;

    public static Word2VecModel Read(string path, bool binary)
    {
        using var stream = new BufferedStream(File.OpenRead(path), 1 << 16);
        long length = stream.Length;
        var header = ReadUntil(stream, (byte)'\n', 256, path, "header");
        var parts = Encoding.ASCII.GetString(header).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int dims) || dims < 1 || dims > MaxDimensions)
            throw new ModelFormatException(path, 0, "the header is not \"<word count> <dimensions>\" with 1 ≤ dimensions ≤ 65536");
        // Every entry takes at least one byte of word, one separator and the vector: refuse counts the file cannot hold.
        long minimumEntry = binary ? 2 + 4L * dims : 2 + 2L * dims;
        if (count > (length - stream.Position) / minimumEntry + 1)
            throw new ModelFormatException(path, 0, $"the header announces {count} words of {dims} dimensions, more than the file's {length} bytes can hold");
        var words = new string[count];
        var vectors = new float[(long)count * dims];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long at = stream.Position;
            string word;
            if (binary)
            {
                word = Encoding.UTF8.GetString(ReadUntil(stream, (byte)' ', MaxWordBytes, path, $"word {i}")).TrimStart('\n');
                var vector = vectors.AsSpan((int)((long)i * dims), dims);
                try { stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector)); }
                catch (EndOfStreamException) { throw new ModelFormatException(path, stream.Position, $"the vector of word {i} is truncated"); }
            }
            else
            {
                var line = Encoding.UTF8.GetString(ReadUntil(stream, (byte)'\n', MaxWordBytes + 64 * dims, path, $"line {i + 2}"));
                var fields = line.TrimEnd('\r', ' ').Split(' ');
                if (fields.Length != dims + 1) throw new ModelFormatException(path, at, $"line {i + 2} has {fields.Length - 1} numbers, not {dims}");
                word = fields[0];
                for (int d = 0; d < dims; d++)
                    if (!float.TryParse(fields[d + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out vectors[(long)i * dims + d]))
                        throw new ModelFormatException(path, at, $"line {i + 2}: '{fields[d + 1]}' is not a number");
            }
            if (word.Length == 0) throw new ModelFormatException(path, at, $"word {i} is empty");
            if (!seen.Add(word)) throw new ModelFormatException(path, at, $"'{word}' appears twice");
            for (long k = (long)i * dims; k < (long)(i + 1) * dims; k++)
                if (!float.IsFinite(vectors[k])) throw new ModelFormatException(path, at, $"the vector of '{word}' is not finite");
            words[i] = word;
        }
        return new Word2VecModel(words, null, vectors, dims);
    }

    private static byte[] ReadUntil(Stream stream, byte end, int limit, string path, string what)
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0) throw new ModelFormatException(path, stream.Position, $"the file ends inside the {what}");
            if (b == end) return bytes.ToArray();
            if (bytes.Count >= limit) throw new ModelFormatException(path, stream.Position, $"the {what} is longer than {limit} bytes");
            bytes.Add((byte)b);
        }
    }
}
