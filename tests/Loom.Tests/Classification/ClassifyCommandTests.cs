using System.Diagnostics;
using System.Text.Json;
using Loom.Cli.Commands;

namespace Loom.Tests.Classification;

public class ClassifyCommandTests
{
    private static int Run(System.CommandLine.Command command, params string[] args) => command.Parse(args).Invoke();

    private static string WriteData(string folder)
    {
        string path = Path.Combine(folder, "data.tsv");
        string[] computers = ["the compiler crashed", "kernel panic again", "the disk driver leaks", "recompile the kernel", "a compiler bug", "linux kernel driver"];
        string[] food = ["bake the bread", "salt in the soup", "whisk eggs and sugar", "slice the bread", "soup with bread", "sugar and flour"];
        File.WriteAllLines(path, [.. computers.Select(t => "computers\t" + t), .. food.Select(t => "food\t" + t), "food\ta two-line\\nrecipe of bread"]);
        return path;
    }

    [Fact]
    public void TrainThenEvalPrintsOneJsonLineAndDrawsTheConfusionMatrix()
    {
        var folder = Directory.CreateTempSubdirectory("loom-classify-");
        try
        {
            string data = WriteData(folder.FullName), model = Path.Combine(folder.FullName, "model.json"), png = Path.Combine(folder.FullName, "cm.png");
            Assert.Equal(0, Run(ClassifyCommand.Create(), "train", data, "--out", model, "--features", "tfidf", "--c", "10"));
            Assert.Equal(0, Run(ClassifyCommand.Create(), "eval", data, "--model", model, "--png", png));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);

            // --json goes to stdout: run the real command line.
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { typeof(ClassifyCommand).Assembly.Location, "classify", "eval", data, "--model", model, "--json" }) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            var json = JsonDocument.Parse(lines[0]).RootElement;
            Assert.Equal(13, json.GetProperty("n").GetInt32());
            Assert.Equal(1.0, json.GetProperty("accuracy").GetDouble()); // training data, C = 10: separable
            Assert.Equal(1.0, json.GetProperty("macro_f1").GetDouble());
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void RefusalsExitNonZero()
    {
        var folder = Directory.CreateTempSubdirectory("loom-classify-");
        try
        {
            string data = WriteData(folder.FullName), model = Path.Combine(folder.FullName, "model.json");
            string bad = Path.Combine(folder.FullName, "bad.tsv"), oneClass = Path.Combine(folder.FullName, "one.tsv"), other = Path.Combine(folder.FullName, "other.tsv");
            File.WriteAllLines(bad, ["no tab here"]);
            File.WriteAllLines(oneClass, ["a\tsome text", "a\tmore text"]);
            File.WriteAllLines(other, ["sports\tfootball"]);
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "train", bad, "--out", model));
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "train", oneClass, "--out", model));
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "train", Path.Combine(folder.FullName, "missing.tsv"), "--out", model));
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "train", data, "--out", model, "--features", "words"));
            Assert.Equal(0, Run(ClassifyCommand.Create(), "train", data, "--out", model, "--features", "tfidf"));
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", other, "--model", model)); // label the model never saw
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", data, "--zero-shot", "computers without a colon"));
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", data, "--model", model, "--centroids", data)); // two classifiers
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", data)); // no classifier given
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", data, "--model", bad)); // not a model
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void EmbeddingsModelZeroShotAndCentroidsRunOnTheDefaultEncoder()
    {
        var folder = Directory.CreateTempSubdirectory("loom-classify-");
        try
        {
            string data = WriteData(folder.FullName), model = Path.Combine(folder.FullName, "emb.json");
            Assert.Equal(0, Run(ClassifyCommand.Create(), "train", data, "--out", model)); // embeddings by default
            Assert.Contains("\"features\":\"embeddings\"", File.ReadAllText(model));
            Assert.Equal(0, Run(ClassifyCommand.Create(), "eval", data, "--model", model));
            Assert.Equal(0, Run(ClassifyCommand.Create(), "eval", data, "--centroids", data));
            Assert.Equal(0, Run(ClassifyCommand.Create(), "eval", data, "--zero-shot", "computers: software and hardware", "food: cooking and eating"));
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void TopicsPrintsJsonWithOneAssignmentPerLineAndDrawsPictures()
    {
        var folder = Directory.CreateTempSubdirectory("loom-topics-");
        try
        {
            var random = new Random(3);
            string[][] themes = [["rocket", "planet", "astronaut", "orbit", "galaxy"], ["bread", "soup", "recipe", "oven", "butter"], ["compiler", "kernel", "debugger", "software", "bug"]];
            var lines = Enumerable.Range(0, 60).Select(i => $"A note about {string.Join(" and ", Enumerable.Range(0, 3).Select(_ => themes[i % 3][random.Next(5)]))}.").ToArray();
            string docs = Path.Combine(folder.FullName, "docs.txt"), map = Path.Combine(folder.FullName, "map.png"), bars = Path.Combine(folder.FullName, "bars.png");
            File.WriteAllLines(docs, lines);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { typeof(ClassifyCommand).Assembly.Location, "topics", docs, "--json", "--min-cluster-size", "5", "--png", map, "--bars", bars }) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd(), error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, error);
            var json = JsonDocument.Parse(output.Trim()).RootElement;
            var assignments = json.GetProperty("assignments").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(lines.Length, assignments.Length);
            var topics = json.GetProperty("topics").EnumerateArray().ToArray();
            Assert.True(topics.Count(t => t.GetProperty("id").GetInt32() >= 0) >= 2);
            Assert.Equal(lines.Length, topics.Sum(t => t.GetProperty("size").GetInt32()));
            Assert.All(topics, t => Assert.True(t.GetProperty("words").GetArrayLength() > 0));
            foreach (string png in new[] { map, bars }) Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        }
        finally { folder.Delete(true); }
    }

    [Fact]
    public void NpyMatrixReadsFloat32ArraysAndRefusesOthers()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-{Guid.NewGuid():N}.npy");
        static byte[] Npy(string header, float[] values)
        {
            header = header.PadRight(64 - 10 - 1) + "\n";
            var bytes = new List<byte> { 0x93 };
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes("NUMPY"));
            bytes.AddRange([1, 0]);
            bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
            foreach (float v in values) bytes.AddRange(BitConverter.GetBytes(v));
            return bytes.ToArray();
        }
        try
        {
            File.WriteAllBytes(path, Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [1, 2, 3, 4, 5, 6]));
            var m = Loom.Cli.NpyMatrix.Read(path);
            Assert.Equal([4f, 5f, 6f], m[1]);
            File.WriteAllBytes(path, Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [1, 2, 3, 4, 5]));
            Assert.Throws<FormatException>(() => Loom.Cli.NpyMatrix.Read(path));
            File.WriteAllBytes(path, Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", [1, 2]));
            Assert.Throws<FormatException>(() => Loom.Cli.NpyMatrix.Read(path));
            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.Throws<FormatException>(() => Loom.Cli.NpyMatrix.Read(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TopicsReadsLinesOrTheLastTsvColumn()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-docs-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllLines(path, ["first document", "", "label\tsecond\\nline", "a\tb\tthird"]);
            Assert.Equal(["first document", "second\nline", "third"], TopicsCommand.ReadDocuments(path));
            File.WriteAllLines(path, ["only", "two"]);
            Assert.Throws<ArgumentException>(() => TopicsCommand.ReadDocuments(path));
        }
        finally { File.Delete(path); }
    }
}
