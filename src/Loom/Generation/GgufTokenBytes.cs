using System.Text;
using Loom.Formats;

namespace Loom.Generation;

/// <summary>
/// The bytes each token of a GGUF vocabulary stands for, for streaming output (<see cref="ByteDetokenizer"/>):
/// byte-level BPE pieces (<c>tokenizer.ggml.model = gpt2</c>: "Ġ" is a space) and SentencePiece pieces
/// (<c>llama</c>: "▁" is a space, <c>&lt;0xE2&gt;</c> is one byte). Control tokens (BOS, EOS, …) stand for nothing.
/// </summary>
public sealed class GgufTokenBytes
{
    private readonly byte[][] _bytes;

    private GgufTokenBytes(byte[][] bytes) => _bytes = bytes;

    /// <summary>Vocabulary size.</summary>
    public int Count => _bytes.Length;

    /// <summary>The bytes of token <paramref name="id"/>.</summary>
    public ReadOnlyMemory<byte> this[int id] => _bytes[id];

    /// <summary>The token's text (U+FFFD where it is part of a character).</summary>
    public string Text(int id) => Encoding.UTF8.GetString(_bytes[id]);

    /// <summary>Reads the vocabulary of a GGUF file, or null when it has none.</summary>
    /// <exception cref="ModelFormatException">The vocabulary type is not one Loom can decode.</exception>
    public static GgufTokenBytes? FromGguf(GgufFile file)
    {
        var m = file.Metadata;
        if (!m.TryGetString("tokenizer.ggml.model", out var model) || !m.TryGetArray<string>("tokenizer.ggml.tokens", out var tokens)) return null;
        int[] types = m.TryGetArray<int>("tokenizer.ggml.token_type", out var t) ? t : [];
        bool IsControl(int i) => i < types.Length && types[i] == 3;
        Func<string, byte[]> decode = model switch
        {
            "gpt2" => ByteLevel,
            "llama" => SentencePiece,
            _ => throw new ModelFormatException(file.Path, 0, $"tokenizer model '{model}' cannot be decoded (supported: gpt2, llama)"),
        };
        return new GgufTokenBytes(tokens.Select((token, i) => IsControl(i) ? [] : decode(token)).ToArray());
    }

    private static readonly Dictionary<char, byte> UnicodeToByte = BuildByteLevelTable();

    // GPT-2's reversible byte ↔ printable-character map: printable bytes stand for themselves, the rest are 256 + n.
    private static Dictionary<char, byte> BuildByteLevelTable()
    {
        var table = new Dictionary<char, byte>();
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[(char)(printable ? b : next++)] = (byte)b;
        }
        return table;
    }

    private static byte[] ByteLevel(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
            if (!UnicodeToByte.TryGetValue(token[i], out bytes[i])) return Encoding.UTF8.GetBytes(token); // added tokens are plain text
        return bytes;
    }

    private static byte[] SentencePiece(string token)
    {
        if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte value))
            return [value];
        return Encoding.UTF8.GetBytes(token.Replace('▁', ' '));
    }
}
