using System.Diagnostics;
using System.Text.Json;

namespace Loom.Tests.Retrieval;

/// <summary>The JSON contracts of `loom index` and `loom search`, and refusals, through the real command.</summary>
public class RetrievalCliTests
{
    private static (int Exit, string Out, string Err) Loom(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Loom.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void Index_and_search_print_the_documented_json_lines_and_bad_input_is_refused()
    {
        using var folder = new TempFolder();
        folder.File("c/a.md", "# Alpha\nThe quick brown fox jumps.");
        folder.File("c/b.txt", "Lazy dogs sleep all day.");
        File.WriteAllBytes(folder.File("c/c.bin"), [0, 0, 1]);
        var db = folder.File("s.db");
        var corpus = Path.Combine(folder.Path, "c");

        var index = Loom("index", corpus, "--db", db, "--keyword-only", "--json");
        Assert.Equal(0, index.Exit);
        var summary = JsonDocument.Parse(index.Out).RootElement;
        Assert.Equal(3, summary.GetProperty("files_seen").GetInt32());
        Assert.Equal(2, summary.GetProperty("added").GetInt32());
        Assert.Equal(0, summary.GetProperty("updated").GetInt32() + summary.GetProperty("removed").GetInt32() + summary.GetProperty("unchanged").GetInt32());
        Assert.Equal(2, summary.GetProperty("documents_total").GetInt32());
        Assert.Equal(2, summary.GetProperty("chunks_total").GetInt32());

        var queries = folder.File("q.txt", "brown fox\n\nsleeping dogs\n");
        var search = Loom("search", "--file", queries, "--db", db, "--json", "-k", "1");
        Assert.Equal(0, search.Exit);
        var lines = search.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["brown fox", "sleeping dogs"], lines.Select(l => l.GetProperty("query").GetString()));
        var first = lines[0].GetProperty("results")[0];
        Assert.EndsWith("a.md", first.GetProperty("path").GetString());
        Assert.Contains("quick brown fox", first.GetProperty("text").GetString());
        Assert.True(first.GetProperty("score").GetDouble() > 0);
        Assert.EndsWith("b.txt", lines[1].GetProperty("results")[0].GetProperty("path").GetString());

        var dense = Loom("search", "fox", "--db", db, "--mode", "dense");
        Assert.Equal(2, dense.Exit);
        Assert.Contains("no embeddings", dense.Err);
        var corrupt = Loom("search", "fox", "--db", Path.Combine(corpus, "b.txt"));
        Assert.Equal(2, corrupt.Exit);
        Assert.Single(corrupt.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, Loom("search", "--db", db).Exit);
        Assert.Equal(2, Loom("index", Path.Combine(folder.Path, "missing"), "--db", db).Exit);
    }
}
