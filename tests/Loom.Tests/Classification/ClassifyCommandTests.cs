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
            Assert.Equal(0, Run(ClassifyCommand.Create(), "train", data, "--out", model));
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", other, "--model", model)); // label the model never saw
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", data)); // no classifier given
            Assert.NotEqual(0, Run(ClassifyCommand.Create(), "eval", data, "--model", bad)); // not a model
        }
        finally { folder.Delete(true); }
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
