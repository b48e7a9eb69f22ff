using System.Buffers.Binary;
using Loom.Formats;

namespace Loom.Tokenization;

/// <summary>
/// SentencePiece's precompiled_charsmap: a little-endian uint32 byte size, then a darts-clone double-array trie over
/// UTF-8 keys (one uint32 unit per node), then NUL-terminated replacement strings the trie's values point into. The
/// nmt_nfkc map rewrites e.g. "ｗ" → "w", "ﬁ" → "fi", "①" → "1" and drops control characters.
/// </summary>
public sealed class PrecompiledCharsMap
{
    private readonly uint[] _units;
    private readonly byte[] _replacements;
    private readonly string? _path;
    private readonly byte[] _blob;

    /// <param name="path">named in errors only</param>
    /// <param name="offset">where the blob starts in that file, for errors</param>
    /// <exception cref="ModelFormatException">the blob is truncated or its parts do not fit together</exception>
    public PrecompiledCharsMap(ReadOnlySpan<byte> blob, string? path = null, long offset = -1)
    {
        _path = path;
        _blob = blob.ToArray();
        if (blob.Length <= 4) throw new ModelFormatException(path, offset, $"precompiled_charsmap of {blob.Length} bytes has no trie");
        uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieBytes > (uint)(blob.Length - 4) || trieBytes % 4 != 0 || trieBytes == 0)
            throw new ModelFormatException(path, offset, $"precompiled_charsmap trie size {trieBytes} does not fit its {blob.Length}-byte blob in whole units");
        _units = new uint[trieBytes / 4];
        for (int i = 0; i < _units.Length; i++) _units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob[(4 + 4 * i)..]);
        _replacements = blob[(4 + (int)trieBytes)..].ToArray();
        // Every value must point at a NUL-terminated string; a final NUL guarantees each in-range value finds its end.
        if (_replacements.Length > 0 && _replacements[^1] != 0)
            throw new ModelFormatException(path, offset, "precompiled_charsmap replacement strings do not end with NUL");
    }

    /// <summary>The blob as stored (e.g. to write it into a tokenizer.json's Precompiled normalizer).</summary>
    public ReadOnlyMemory<byte> Bytes => _blob;

    /// <summary>As sentencepiece's normalizer looks up: the longest key that starts <paramref name="input"/>; returns its
    /// length in bytes (0 when none) and sets <paramref name="replacement"/>.</summary>
    /// <exception cref="ModelFormatException">the trie points outside itself or its strings</exception>
    public int MatchLongest(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement) => Match(input, out replacement, huggingFace: false);

    /// <summary>As Hugging Face's Precompiled normalizer looks up: the first (shortest) key that starts
    /// <paramref name="input"/>, the walk stopping at a NUL byte.</summary>
    /// <exception cref="ModelFormatException">the trie points outside itself or its strings</exception>
    public int MatchShortest(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement) => Match(input, out replacement, huggingFace: true);

    private int Match(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement, bool huggingFace)
    {
        replacement = default;
        int matched = 0;
        uint value = 0;
        uint position = Offset(Unit(0));
        for (int i = 0; i < input.Length && !(huggingFace && input[i] == 0); i++)
        {
            position ^= input[i];
            uint unit = Unit(position);
            if ((unit & ((1u << 31) | 0xFF)) != input[i]) break; // label
            position ^= Offset(unit);
            if (((unit >> 8) & 1) == 0) continue; // no leaf here
            value = Unit(position) & ((1u << 31) - 1);
            matched = i + 1;
            if (huggingFace) break;
        }
        if (matched == 0) return 0;
        if (value >= (uint)_replacements.Length) throw new ModelFormatException(_path, $"precompiled_charsmap value {value} is outside its {_replacements.Length} bytes of strings");
        var rest = _replacements.AsSpan((int)value);
        replacement = rest[..rest.IndexOf((byte)0)];
        return matched;
    }

    private uint Unit(uint position) => position < (uint)_units.Length ? _units[position]
        : throw new ModelFormatException(_path, $"precompiled_charsmap trie refers to unit {position} of {_units.Length}");

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
