using System.Text;
using Loom.Formats;
using Loom.Tokenization;

namespace Loom.Tests.Tokenization;

/// <summary>Truncated, corrupted and inconsistent .model files are refused with a <see cref="ModelFormatException"/> naming the problem.</summary>
public sealed class SentencePieceModelReaderTests(SentencePieceParityTests.Models models) : IClassFixture<SentencePieceParityTests.Models>
{
    [Fact]
    public void ReadsWhatSpmTrainWrote()
    {
        var model = SentencePieceModelReader.Read(models.Paths["unigram"]);
        Assert.Equal(2000, model.Pieces.Count);
        Assert.Equal(SentencePieceAlgorithm.Unigram, model.Algorithm);
        Assert.True(model.ByteFallback);
        Assert.Equal(("<unk>", SentencePieceType.Unknown), (model.Pieces[0].Piece, model.Pieces[0].Type));
        Assert.Equal(("<s>", SentencePieceType.Control), (model.Pieces[1].Piece, model.Pieces[1].Type));
        Assert.Equal(SentencePieceType.UserDefined, model.Pieces.Single(p => p.Piece == "<sep>").Type);
        Assert.Equal(256, model.Pieces.Count(p => p.Type == SentencePieceType.Byte));
        Assert.Equal("nmt_nfkc", model.Normalizer.Name);
        Assert.NotNull(model.Normalizer.CharsMap);
        var identity = SentencePieceModelReader.Read(models.Paths["bpe-identity"]);
        Assert.Equal((SentencePieceAlgorithm.Bpe, "identity", false, 3), (identity.Algorithm, identity.Normalizer.Name, identity.Normalizer.AddDummyPrefix, identity.PaddingId));
        Assert.Null(identity.Normalizer.CharsMap);
    }

    [Fact]
    public void EveryTruncationIsRefused()
    {
        var bytes = File.ReadAllBytes(models.Paths["bpe"]);
        for (int length = 0; length < bytes.Length; length += 1 + length / 50)
        {
            var error = Assert.Throws<ModelFormatException>(() => SentencePieceModelReader.Read(bytes.AsSpan(0, length), "cut.model"));
            Assert.StartsWith("cut.model", error.Message);
        }
    }

    [Fact]
    public void CorruptedBytesAreRefusedOrStillEncode()
    {
        // Random byte changes: the reader refuses the file by name or reads a model that encodes without crashing
        // (a corrupted character map can only be noticed when a lookup walks into it).
        var bytes = File.ReadAllBytes(models.Paths["unigram"]);
        var random = new Random(7);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var copy = (byte[])bytes.Clone();
            for (int k = 0; k < 4; k++) copy[random.Next(copy.Length)] = (byte)random.Next(256);
            try
            {
                var tokenizer = new SentencePieceTokenizer(SentencePieceModelReader.Read(copy, "bad.model"));
                foreach (var text in SentencePieceParityTests.UnicodeCases) tokenizer.Decode(tokenizer.EncodeToIds(text));
            }
            catch (ModelFormatException) { refused++; }
        }
        Assert.InRange(refused, 1, 300);
    }

    [Theory]
    [InlineData("duplicate", "appears twice")]
    [InlineData("unk-out-of-range", "unk_id 9")]
    [InlineData("unk-not-unknown", "not an unknown-type piece")]
    [InlineData("bos-out-of-range", "bos_id 70")]
    [InlineData("bad-type", "unknown type 9")]
    [InlineData("empty-piece", "has no text")]
    [InlineData("nan-score", "score NaN")]
    [InlineData("word-model", "not supported yet")]
    [InlineData("byte-fallback-without-bytes", "<0x00> is missing")]
    [InlineData("charsmap-too-big", "trie size")]
    [InlineData("charsmap-unterminated", "do not end with NUL")]
    [InlineData("no-normalizer", "no normalizer_spec")]
    [InlineData("wrong-wire-type", "wire type")]
    public void InconsistentModelsAreRefusedByName(string defect, string problem)
    {
        var pieces = new List<byte[]>
        {
            Piece(defect == "unk-not-unknown" ? "<x>" : "<unk>", 0, defect == "unk-not-unknown" ? 1 : 2), Piece("<s>", 0, 3), Piece("</s>", 0, 3),
            Piece("\u2581a", -1, defect == "bad-type" ? 9 : 1), Piece(defect == "duplicate" ? "\u2581a" : defect == "empty-piece" ? "" : "b", defect == "nan-score" ? float.NaN : -2, 1),
        };
        var trainer = Concat(
            Field(3, defect == "word-model" ? 3 : 1), Field(40, defect == "unk-out-of-range" ? 9 : 0), Field(41, defect == "bos-out-of-range" ? 70 : 1),
            Field(35, defect == "byte-fallback-without-bytes" ? 1 : 0));
        byte[] charsMap = defect switch
        {
            "charsmap-too-big" => [.. BitConverter.GetBytes(4000u), 0, 0, 0, 0],
            "charsmap-unterminated" => [.. BitConverter.GetBytes(4u), 0, 0, 0, 0, (byte)'a'],
            _ => [],
        };
        var normalizer = Concat(Field(1, "nmt_nfkc"u8.ToArray()), charsMap.Length > 0 ? Field(2, charsMap) : [], Field(3, 1));
        var model = Concat([.. pieces.Select(p => Field(1, p)), Field(2, trainer), defect == "no-normalizer" ? [] : Field(3, normalizer)]);
        if (defect == "wrong-wire-type") model = Concat(model, Field(2, 5));
        var error = Assert.Throws<ModelFormatException>(() => SentencePieceModelReader.Read(model, "crafted.model"));
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void ACharsMapTrieThatPointsOutsideItselfIsRefusedWhenWalked()
    {
        // One unit whose offset sends the first step far outside the four-unit trie.
        byte[] blob = [.. BitConverter.GetBytes(16u), .. BitConverter.GetBytes(0xFFFFFC00u), .. new byte[12], 0];
        var map = new PrecompiledCharsMap(blob, "crafted.model");
        var error = Assert.Throws<ModelFormatException>(() => map.MatchLongest("a"u8, out _));
        Assert.Contains("refers to unit", error.Message);
    }

    private static byte[] Piece(string text, float score, int type) =>
        Concat(Field(1, Encoding.UTF8.GetBytes(text)), [Tag(2, 5), .. BitConverter.GetBytes(score)], Field(3, type));

    private static byte[] Field(int number, byte[] payload) => Concat([Tag(number, 2)], Varint((ulong)payload.Length), payload);

    private static byte[] Field(int number, long value) => Concat(Varint((ulong)number << 3), Varint((ulong)value));

    private static byte Tag(int number, int wire) => checked((byte)(number << 3 | wire));

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7) bytes.Add((byte)(value | 0x80));
        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
