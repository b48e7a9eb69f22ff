using System.Text.Json;
using Loom.Cli.Commands;

namespace Loom.Tests.Embeddings;

public class EncoderCommandTests
{
    private static int Run(System.CommandLine.Command command, params string[] args) => command.Parse(args).Invoke();

    [Fact]
    public void EmbedWritesNpyAndJsonLinesThatAgree()
    {
        var folder = Directory.CreateTempSubdirectory("loom-embed-");
        try
        {
            var lines = Path.Combine(folder.FullName, "lines.txt");
            File.WriteAllLines(lines, ["A man is eating food.", "", "A cheetah is running behind its prey."]);
            var npy = Path.Combine(folder.FullName, "out.npy");
            var jsonl = Path.Combine(folder.FullName, "out.jsonl");
            Assert.Equal(0, Run(EmbedCommand.Create(), "--file", lines, "--out", npy));
            Assert.Equal(0, Run(EmbedCommand.Create(), "--file", lines, "--out", jsonl));

            var bytes = File.ReadAllBytes(npy);
            Assert.Equal(0x93, bytes[0]);
            int headerLength = BitConverter.ToUInt16(bytes, 8);
            Assert.Equal(0, (10 + headerLength) % 64);
            Assert.Contains("'shape': (2, 384)", System.Text.Encoding.ASCII.GetString(bytes, 10, headerLength));
            var fromNpy = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(10 + headerLength)).ToArray();
            Assert.Equal(2 * 384, fromNpy.Length);

            var records = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
            Assert.Equal(2, records.Length);
            Assert.Equal("A cheetah is running behind its prey.", records[1].GetProperty("text").GetString());
            var second = records[1].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(fromNpy[384..], second);
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void RefusalsExitNonZero()
    {
        Assert.NotEqual(0, Run(EmbedCommand.Create(), "hello", "--out", "/tmp/x.csv"));
        Assert.NotEqual(0, Run(EmbedCommand.Create()));
        Assert.NotEqual(0, Run(EmbedCommand.Create(), "hello", "--model", "/nonexistent"));
        Assert.NotEqual(0, Run(SimilarityCommand.Create(), "only one"));
        Assert.NotEqual(0, Run(AttentionCommand.Create(), "text", "--head", "12"));
    }

    [Fact]
    public void AttentionDrawsAPng()
    {
        var png = Path.Combine(Path.GetTempPath(), $"loom-attention-{Guid.NewGuid():N}.png");
        try
        {
            Assert.Equal(0, Run(AttentionCommand.Create(), "The cat sat on the mat.", "--layer", "0", "--head", "1", "--png", png));
            var bytes = File.ReadAllBytes(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            Assert.True(bytes.Length > 5000);
        }
        finally { File.Delete(png); }
    }
}
