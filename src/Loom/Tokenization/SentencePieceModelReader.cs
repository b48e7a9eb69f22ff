using Loom.Formats;

namespace Loom.Tokenization;

/// <summary>
/// Reads a SentencePiece <c>.model</c> file (the ModelProto protobuf of sentencepiece_model.proto) by hand with the
/// protobuf wire-format reader Loom uses for ONNX. Fields encoding does not need are skipped; anything inconsistent
/// (a truncated message, duplicate pieces, ids out of range, a malformed character map) is refused by name.
/// </summary>
public static class SentencePieceModelReader
{
    // Real models are a few MB (Gemma's 256k pieces: 4 MB); anything far larger is not a tokenizer.
    private const long MaxFileBytes = 1L << 30;
    private const int Varint = 0, Fixed32 = 5, LengthDelimited = 2;

    /// <exception cref="ModelFormatException">the file is not a SentencePiece model Loom can use</exception>
    public static SentencePieceModel Read(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new ModelFormatException(path, $"{length} bytes is too large for a SentencePiece model");
        return Read(File.ReadAllBytes(path), path);
    }

    /// <param name="path">named in errors only</param>
    /// <exception cref="ModelFormatException">the bytes are not a SentencePiece model Loom can use</exception>
    public static SentencePieceModel Read(ReadOnlySpan<byte> bytes, string? path = null)
    {
        var pieces = new List<SentencePiece>();
        var model = new SentencePieceModel { Pieces = pieces };
        bool trainerSpec = false, normalizerSpec = false;
        var reader = new OnnxProtoReader(bytes, 0, path);
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            switch (field)
            {
                case 1:
                    reader.Expect(wire, LengthDelimited, field, "ModelProto");
                    pieces.Add(ReadPiece(reader.ReadMessage(), pieces.Count));
                    break;
                case 2:
                    reader.Expect(wire, LengthDelimited, field, "ModelProto");
                    model = ReadTrainerSpec(reader.ReadMessage(), model);
                    trainerSpec = true;
                    break;
                case 3:
                    reader.Expect(wire, LengthDelimited, field, "ModelProto");
                    model = model with { Normalizer = ReadNormalizerSpec(reader.ReadMessage(), path) };
                    normalizerSpec = true;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        // sentencepiece always writes both specs after the pieces: a file without them was cut short.
        if (!trainerSpec || !normalizerSpec)
            throw new ModelFormatException(path, $"no {(trainerSpec ? "normalizer_spec" : "trainer_spec")} after {pieces.Count} pieces (truncated, or not a SentencePiece model)");
        Validate(model, path);
        return model;
    }

    private static SentencePiece ReadPiece(OnnxProtoReader reader, int index)
    {
        string? piece = null;
        float score = 0;
        var type = SentencePieceType.Normal;
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            switch (field)
            {
                case 1: reader.Expect(wire, LengthDelimited, field, "SentencePiece"); piece = reader.ReadString(); break;
                case 2: reader.Expect(wire, Fixed32, field, "SentencePiece"); score = BitConverter.UInt32BitsToSingle(reader.ReadFixed32()); break;
                case 3:
                    reader.Expect(wire, Varint, field, "SentencePiece");
                    long value = reader.ReadInt64();
                    if (value is < 1 or > 6) throw reader.Error($"piece {index} has unknown type {value}");
                    type = (SentencePieceType)value;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (string.IsNullOrEmpty(piece)) throw reader.Error($"piece {index} has no text");
        if (!float.IsFinite(score)) throw reader.Error($"piece {index} ('{piece}') has score {score}");
        return new SentencePiece(piece, score, type);
    }

    private static SentencePieceModel ReadTrainerSpec(OnnxProtoReader reader, SentencePieceModel model)
    {
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            if (field is 3 or 24 or 35 or 40 or 41 or 42 or 43) reader.Expect(wire, Varint, field, "TrainerSpec");
            switch (field)
            {
                case 3:
                    long type = reader.ReadInt64();
                    if (type is < 1 or > 4) throw reader.Error($"unknown model_type {type}");
                    model = model with { Algorithm = (SentencePieceAlgorithm)type };
                    break;
                case 24: model = model with { TreatWhitespaceAsSuffix = reader.ReadVarint() != 0 }; break;
                case 35: model = model with { ByteFallback = reader.ReadVarint() != 0 }; break;
                case 40: model = model with { UnknownId = reader.ReadInt32() }; break;
                case 41: model = model with { BeginningOfSentenceId = reader.ReadInt32() }; break;
                case 42: model = model with { EndOfSentenceId = reader.ReadInt32() }; break;
                case 43: model = model with { PaddingId = reader.ReadInt32() }; break;
                case 44:
                    reader.Expect(wire, LengthDelimited, field, "TrainerSpec");
                    model = model with { UnknownSurface = reader.ReadString() };
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return model;
    }

    private static SentencePieceNormalizerSpec ReadNormalizerSpec(OnnxProtoReader reader, string? path)
    {
        var spec = new SentencePieceNormalizerSpec();
        while (!reader.AtEnd)
        {
            int field = reader.ReadTag(out int wire);
            if (field is 1 or 2) reader.Expect(wire, LengthDelimited, field, "NormalizerSpec");
            if (field is 3 or 4 or 5) reader.Expect(wire, Varint, field, "NormalizerSpec");
            switch (field)
            {
                case 1: spec = spec with { Name = reader.ReadString() }; break;
                case 2:
                    long at = reader.Offset;
                    var blob = reader.ReadBytes();
                    if (blob.Length > 0) spec = spec with { CharsMap = new PrecompiledCharsMap(blob, path, at) };
                    break;
                case 3: spec = spec with { AddDummyPrefix = reader.ReadVarint() != 0 }; break;
                case 4: spec = spec with { RemoveExtraWhitespaces = reader.ReadVarint() != 0 }; break;
                case 5: spec = spec with { EscapeWhitespaces = reader.ReadVarint() != 0 }; break;
                default: reader.Skip(wire); break;
            }
        }
        return spec;
    }

    /// <summary>Throws unless the pieces, ids and flags are consistent (also for models built in code).</summary>
    internal static void Validate(SentencePieceModel model, string? path)
    {
        var pieces = model.Pieces;
        if (pieces.Count == 0) throw new ModelFormatException(path, "the model has no pieces");
        var seen = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        for (int i = 0; i < pieces.Count; i++)
            if (!seen.TryAdd(pieces[i].Piece, i)) throw new ModelFormatException(path, $"piece '{pieces[i].Piece}' appears twice (ids {seen[pieces[i].Piece]} and {i})");
        if ((uint)model.UnknownId >= (uint)pieces.Count || pieces[model.UnknownId].Type != SentencePieceType.Unknown)
            throw new ModelFormatException(path, $"unk_id {model.UnknownId} is not an unknown-type piece of the {pieces.Count}");
        foreach (var (name, id) in new[] { ("bos_id", model.BeginningOfSentenceId), ("eos_id", model.EndOfSentenceId), ("pad_id", model.PaddingId) })
            if (id < -1 || id >= pieces.Count) throw new ModelFormatException(path, $"{name} {id} is out of range for {pieces.Count} pieces");
        if (model.ByteFallback)
            for (int b = 0; b < 256; b++)
                if (!seen.TryGetValue($"<0x{b:X2}>", out int id) || pieces[id].Type != SentencePieceType.Byte)
                    throw new ModelFormatException(path, $"byte_fallback is set but byte piece <0x{b:X2}> is missing");
        if (model.Algorithm is not (SentencePieceAlgorithm.Unigram or SentencePieceAlgorithm.Bpe))
            throw new ModelFormatException(path, $"model_type {model.Algorithm} is not supported yet (Unigram and Bpe are)");
        if (model.TreatWhitespaceAsSuffix)
            throw new ModelFormatException(path, "treat_whitespace_as_suffix is not supported yet");
    }
}
