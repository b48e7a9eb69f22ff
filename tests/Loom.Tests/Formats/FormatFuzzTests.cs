using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Loom.Formats;
using Loom.Tensors;
using Xunit.Abstractions;

namespace Loom.Tests.Formats;

/// <summary>
/// Seeded, time-bounded mutation fuzzing of GGUF and safetensors files. Each mutant must either load consistently
/// (every tensor aligned, inside the file, not overlapping, of the size its shape and type imply, and readable) or be
/// refused with <see cref="ModelFormatException"/>. Any other exception — or an inconsistency — fails the test and
/// names the seed and mutant so it can be replayed.
/// </summary>
public partial class FormatFuzzTests(ITestOutputHelper log)
{
    private const int Seed = 20261129;
    private const int MaxMutants = 20_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2.5);

    private static readonly ulong[] HugeValues =
        [ulong.MaxValue, 1UL << 63, (1UL << 63) - 1, 1UL << 62, (1UL << 61) + 1, 1UL << 32, uint.MaxValue, 0, 1, 31, 33, 4096];

    /// <summary>A GGUF file with metadata of every value type (nested arrays included) and tensors of several types.</summary>
    internal static byte[] SampleGgufForReference() => SampleGguf();

    private static byte[] SampleGguf()
    {
        var random = new Random(1);
        byte[] Bytes(GgmlType type, long elements)
        {
            var b = new byte[GgmlTypes.TryByteCount(type, elements)];
            random.NextBytes(b);
            return b;
        }
        var writer = new GgufWriter()
            .AddMetadata("general.architecture", "llama")
            .AddMetadata("llama.block_count", 2u)
            .AddMetadata("llama.rope.freq_base", 10000f)
            .AddMetadata("i8", GgufValue.From((sbyte)-3))
            .AddMetadata("u16", GgufValue.From((ushort)9))
            .AddMetadata("flag", true)
            .AddMetadata("u64", 1UL << 40)
            .AddMetadata("f64", 0.5)
            .AddMetadata("tokenizer.ggml.tokens", ["<s>", "</s>", "hello", "wörld"])
            .AddMetadata("tokenizer.ggml.scores", new[] { 0f, -1f, -2f, -3f })
            .AddMetadata("tokenizer.ggml.token_type", new[] { 3, 3, 1, 1 })
            .AddMetadata("tokenizer.ggml.eos_token_id", 1u)
            .AddMetadata("nested", GgufValue.Array([GgufValue.Array(new[] { 1L, 2L }), GgufValue.Array(new[] { "x" })]))
            .AddMetadata("bools", GgufValue.Array(new[] { true, false }))
            .AddTensor("token_embd.weight", GgmlType.F32, [8, 4], Bytes(GgmlType.F32, 32))
            .AddTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [32, 2], Bytes(GgmlType.Q8_0, 64))
            .AddTensor("blk.0.ffn_up.weight", GgmlType.Q4_K, [256, 1], Bytes(GgmlType.Q4_K, 256))
            .AddTensor("blk.0.norm.weight", GgmlType.F16, [8], Bytes(GgmlType.F16, 8))
            .AddTensor("output.weight", GgmlType.BF16, [8, 2, 1, 1], Bytes(GgmlType.BF16, 16));
        using var stream = new MemoryStream();
        writer.Write(stream);
        return stream.ToArray();
    }

    private static byte[] SampleSafetensors()
    {
        var random = new Random(2);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }
        var writer = new SafetensorsWriter()
            .AddMetadata("format", "pt")
            .AddTensor("embed.weight", SafetensorsDType.F32, [4, 3], Bytes(48))
            .AddTensor("norm.weight", SafetensorsDType.BF16, [3], Bytes(6))
            .AddTensor("ids", SafetensorsDType.I64, [2], Bytes(16))
            .AddTensor("half", SafetensorsDType.F16, [2, 2], Bytes(8))
            .AddTensor("mask", SafetensorsDType.U8, [5], Bytes(5))
            .AddTensor("empty", SafetensorsDType.F32, [0], Array.Empty<byte>());
        using var stream = new MemoryStream();
        writer.Write(stream);
        return stream.ToArray();
    }

    [Fact]
    public void GgufMutantsLoadConsistentlyOrAreRefused()
    {
        byte[][] seeds = [SampleGguf(), GgufTests.HandAssembled(2)];
        // Where each tensor's offset field sits, so mutants can point tensors at each other's data.
        var offsetFields = seeds.Select(OffsetFieldPositions).ToArray();
        Fuzz("GGUF", seeds, (random, bytes, seedIndex) => MutateGguf(random, bytes, offsetFields[seedIndex]), CheckGguf);
    }

    [Fact]
    public void SafetensorsMutantsLoadConsistentlyOrAreRefused()
    {
        byte[][] seeds = [SampleSafetensors(), SafetensorsTests.HandAssembled()];
        Fuzz("safetensors", seeds, (random, bytes, _) => MutateSafetensors(random, bytes), CheckSafetensors);
    }

    private void Fuzz(string format, byte[][] seeds, Func<Random, byte[], int, (byte[] Bytes, string How)> mutate, Action<byte[]> check)
    {
        foreach (var seed in seeds) check(seed); // the seeds themselves are valid
        var random = new Random(Seed);
        var clock = Stopwatch.StartNew();
        int loaded = 0, refused = 0;
        for (int i = 0; i < MaxMutants && clock.Elapsed < Budget; i++)
        {
            int seedIndex = random.Next(seeds.Length);
            var (mutant, how) = mutate(random, seeds[seedIndex], seedIndex);
            try
            {
                check(mutant);
                loaded++;
            }
            catch (ModelFormatException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{format} mutant {i} (seed {Seed}, file {seedIndex}, {how}) threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        log.WriteLine($"{format}: {loaded + refused} mutants in {clock.ElapsedMilliseconds} ms: {loaded} loaded consistently, {refused} refused");
        Assert.True(loaded + refused >= 500, $"only {loaded + refused} mutants ran in the time budget");
        Assert.True(refused > 0 && loaded > 0, "the mutations should produce both loadable and refused files");
    }

    private static (byte[], string) MutateGguf(Random random, byte[] source, int[] offsetFields)
    {
        var bytes = (byte[])source.Clone();
        switch (random.Next(6))
        {
            case 0:
                return (Truncate(random, bytes, out string t), t);
            case 1:
                return (bytes, FlipBits(random, bytes));
            case 2:
            {
                // A huge or edge-case count/length written over any 8 bytes (counts, lengths, dims and offsets are u64).
                int at = random.Next(bytes.Length - 8);
                ulong value = HugeValues[random.Next(HugeValues.Length)];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), value);
                return (bytes, $"u64 {value} at {at}");
            }
            case 3:
            {
                // A wrong type id (value type, array element type, tensor type or rank) over any 4 bytes.
                int at = random.Next(bytes.Length - 4);
                uint value = random.Next(4) == 0 ? uint.MaxValue : (uint)random.Next(40);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
                return (bytes, $"u32 {value} at {at}");
            }
            case 4 when offsetFields.Length > 1:
            {
                // Point one tensor at another's data (overlap), or at a neighbouring aligned offset.
                int a = offsetFields[random.Next(offsetFields.Length)], b = offsetFields[random.Next(offsetFields.Length)];
                ulong target = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(b)) + (ulong)(random.Next(3) - 1) * 32;
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(a), target);
                return (bytes, $"tensor offset at {a} set to {target}");
            }
            default:
            {
                int at = random.Next(bytes.Length);
                bytes[at] = (byte)random.Next(256);
                return (bytes, $"byte {bytes[at]} at {at}");
            }
        }
    }

    private static (byte[], string) MutateSafetensors(Random random, byte[] source)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(source);
        string header = Encoding.UTF8.GetString(source, 8, headerLength);
        byte[] data = source[(8 + headerLength)..];
        switch (random.Next(6))
        {
            case 0:
                return (Truncate(random, (byte[])source.Clone(), out string t), t);
            case 1:
            {
                var bytes = (byte[])source.Clone();
                return (bytes, FlipBits(random, bytes));
            }
            case 2:
            {
                var bytes = (byte[])source.Clone();
                ulong value = HugeValues[random.Next(HugeValues.Length)];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
                return (bytes, $"header length {value}");
            }
            case 3:
            {
                // Replace one number in the header (a shape or an offset) by an edge value or another number of the header.
                var numbers = Number().Matches(header);
                var victim = numbers[random.Next(numbers.Count)];
                string replacement = random.Next(3) switch
                {
                    0 => HugeValues[random.Next(HugeValues.Length)].ToString(),
                    1 => numbers[random.Next(numbers.Count)].Value,
                    _ => (long.Parse(victim.Value) + random.Next(-2, 3)).ToString(),
                };
                return (Rebuild(header.Remove(victim.Index, victim.Length).Insert(victim.Index, replacement), data), $"number {victim.Value} at {victim.Index} → {replacement}");
            }
            case 4:
            {
                // Swap a dtype for another, of the same or a different element size.
                var dtypes = DType().Matches(header);
                var victim = dtypes[random.Next(dtypes.Count)];
                string[] names = ["F32", "F16", "BF16", "I64", "U8", "BOOL", "F64", "I32", "F8_E4M3", "Q4", ""];
                string replacement = names[random.Next(names.Length)];
                return (Rebuild(header.Remove(victim.Index, victim.Length).Insert(victim.Index, $"\"dtype\":\"{replacement}\""), data), $"dtype → {replacement}");
            }
            default:
            {
                var bytes = (byte[])source.Clone();
                int at = random.Next(bytes.Length);
                const string Json = "{}[]\",:0123456789 ";
                bytes[at] = (byte)Json[random.Next(Json.Length)];
                return (bytes, $"byte '{(char)bytes[at]}' at {at}");
            }
        }
    }

    /// <summary>Reassembles a safetensors file with a consistent header length, so mutations reach the validation behind it.</summary>
    private static byte[] Rebuild(string header, byte[] data)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static byte[] Truncate(Random random, byte[] bytes, out string how)
    {
        int length = random.Next(bytes.Length);
        how = $"truncated to {length}";
        return bytes[..length];
    }

    private static string FlipBits(Random random, byte[] bytes)
    {
        int flips = 1 + random.Next(8);
        var positions = new List<int>();
        for (int f = 0; f < flips; f++)
        {
            int at = random.Next(bytes.Length);
            bytes[at] ^= (byte)(1 << random.Next(8));
            positions.Add(at);
        }
        return $"bits flipped at {string.Join(",", positions)}";
    }

    private static int[] OffsetFieldPositions(byte[] gguf)
    {
        using var file = GgufFile.Read(gguf);
        var positions = new List<int>();
        foreach (var tensor in file.Tensors)
        {
            // name (u64 length + bytes), rank u32, dims u64 × rank, type u32, then the offset.
            byte[] name = [.. BitConverter.GetBytes((ulong)Encoding.UTF8.GetByteCount(tensor.Name)), .. Encoding.UTF8.GetBytes(tensor.Name)];
            int at = gguf.AsSpan().IndexOf(name);
            positions.Add(at + name.Length + 4 + 8 * tensor.Dimensions.Count + 4);
        }
        return positions.ToArray();
    }

    /// <summary>Loads a GGUF mutant and checks that everything it claims holds.</summary>
    private static void CheckGguf(byte[] bytes)
    {
        using var file = GgufFile.Read(bytes);
        foreach (var (_, value) in file.Metadata) _ = value.ToString();
        long previousEnd = -1;
        foreach (var t in file.Tensors.OrderBy(t => t.FileOffset))
        {
            long elements = t.Dimensions.Aggregate(1L, (a, d) => checked(a * d));
            Assert.Equal(elements, t.ElementCount);
            Assert.Equal(GgmlTypes.TryByteCount(t.Type, elements), t.ByteCount);
            Assert.True(t.FileOffset >= file.DataOffset && t.FileOffset % file.Alignment == 0, $"{t.Name} misplaced");
            Assert.True(t.FileOffset + t.ByteCount <= bytes.Length, $"{t.Name} outside the file");
            Assert.True(t.FileOffset >= previousEnd, $"{t.Name} overlaps");
            previousEnd = t.FileOffset + t.ByteCount;
            var data = file.GetData(t);
            Assert.Equal(t.ByteCount, data.Length);
            Assert.True(data.Span.SequenceEqual(bytes.AsSpan((int)t.FileOffset, (int)t.ByteCount)));
            if (GgmlTypes.IsSupported(t.Type)) Assert.Equal(t.ByteCount, file.GetMatrix(t.Name).Data.Length);
        }
        _ = GgufSummary.Create(file);
    }

    private static void CheckSafetensors(byte[] bytes)
    {
        using var file = SafetensorsFile.Read(bytes);
        long expected = 0;
        foreach (var t in file.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            Assert.Equal(expected, t.Begin);
            expected = t.End;
            Assert.Equal(t.Shape.Aggregate(1L, (a, d) => checked(a * d)) * SafetensorsDTypes.ElementSize(t.DType), t.ByteCount);
            var data = file.GetData(t);
            Assert.True(data.Span.SequenceEqual(bytes.AsSpan((int)t.FileOffset, (int)t.ByteCount)));
            if (SafetensorsDTypes.TryGetGgmlType(t.DType, out _) && t.ElementCount > 0) Assert.Equal(t.ByteCount, file.GetMatrix(t.Name).Data.Length);
        }
        Assert.Equal(bytes.Length - file.DataOffset, expected);
    }

    [GeneratedRegex("\\d+")]
    private static partial Regex Number();

    [GeneratedRegex("\"dtype\":\"[A-Z0-9_]*\"")]
    private static partial Regex DType();
}
