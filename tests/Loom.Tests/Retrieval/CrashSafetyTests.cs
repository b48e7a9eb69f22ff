using System.Diagnostics;
using Loom.Retrieval;
using Microsoft.Data.Sqlite;

namespace Loom.Tests.Retrieval;

/// <summary>Kills a real `loom index` process (SIGKILL) at random moments and checks the store it leaves.</summary>
public class CrashSafetyTests
{
    private const int Files = 2000;
    private const int Batch = 5;

    [Fact]
    public void Store_survives_SIGKILL_during_ingestion_with_whole_batches_and_no_half_documents()
    {
        using var folder = new TempFolder();
        var corpus = Path.Combine(folder.Path, "corpus");
        var random = new Random(7);
        string[] words = ["river", "stone", "lamp", "paper", "cloud", "engine", "garden", "signal", "harbor", "window", "copper", "orbit"];
        for (var i = 0; i < Files; i++)
            folder.File($"corpus/d{i / 100:00}/doc{i:0000}.txt", string.Join("\n\n", Enumerable.Range(0, 6).Select(p =>
                $"Document {i} paragraph {p}. " + string.Join(" ", Enumerable.Range(0, 40).Select(_ => words[random.Next(words.Length)])) + ".")));
        var db = Path.Combine(folder.Path, "store.db");
        var chunker = new Chunker(new IndexingOptions().Chunking);

        var kills = 0;
        for (var round = 0; round < 3; round++)
        {
            using var process = StartIndexing(corpus, db);
            var before = CountDocuments(db);
            // Wait until this run has committed something, then let it run a random while longer and kill it.
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && CountDocuments(db) <= before && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Thread.Sleep(random.Next(0, 150));
            if (!process.HasExited) { process.Kill(); kills++; }
            process.WaitForExit();

            using var store = DocumentStore.Open(db);
            Assert.Empty(store.Verify());
            var stored = store.DocumentHashes();
            if (round == 0 && stored.Count < Files) Assert.Equal(0, stored.Count % Batch); // only whole batches
            // No half documents: every stored document holds exactly the chunks its file produces.
            var sample = stored.Keys.OrderBy(_ => random.Next()).Take(200).ToList();
            foreach (var path in sample)
            {
                var expected = chunker.Chunk(DocumentReader.Read(path)).Select(c => c.Text).ToList();
                Assert.Equal(expected.Count, ChunkTexts(db, path).Count);
                Assert.Equal(expected, ChunkTexts(db, path));
            }
        }
        Assert.True(kills >= 2, $"only {kills} runs were killed mid-way; the corpus indexes too fast for this test");

        using (var finish = StartIndexing(corpus, db)) { finish.WaitForExit(); Assert.Equal(0, finish.ExitCode); }
        using var final = DocumentStore.Open(db);
        Assert.Empty(final.Verify());
        Assert.Equal(Files, final.DocumentCount);
        Assert.Equal(Files, final.DocumentHashes().Count);
    }

    private static Process StartIndexing(string corpus, string db)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Loom.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "index", corpus, "--db", db, "--keyword-only", "--json", "--batch", Batch.ToString() }) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static long CountDocuments(string db)
    {
        if (!File.Exists(db)) return 0;
        try
        {
            using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM documents";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // the schema is not created yet
        }
    }

    private static List<string> ChunkTexts(string db, string path)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = @p ORDER BY c.ordinal";
        command.Parameters.AddWithValue("@p", path);
        var texts = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) texts.Add(reader.GetString(0));
        return texts;
    }
}
