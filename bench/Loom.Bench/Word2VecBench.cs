using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Loom.Data;
using Loom.Embeddings;

namespace Loom.Bench;

/// <summary>
/// Suite "word2vec": Loom's trainer next to gensim 4.2 (through /usr/bin/python3, LineSentence and corpus_file input) on
/// the same token stream — the Debian man pages rendered to text plus the fortunes, written once to a file of one
/// shuffled paragraph per line — with 1 and 2 threads (gensim workers), skip-gram, 100 dims, window 5, negative 5,
/// sample 1e-3, min count 5, 1 epoch. Both sides read that file and split lines on spaces; words/s is the file's token
/// count over the seconds spent, and words per CPU-second the same over the process's CPU time (steadier on a shared
/// machine). gensim's time is train() alone (its build_vocab is timed apart); Loom's includes building its vocabulary.
/// Sides alternate; best of --runs. Then the quality of both last models by one yardstick: WordNet synonyms against
/// words of like frequency; and a few words' neighbours side by side.
/// </summary>
internal static class Word2VecBench
{
    private const int MaxSentenceWords = 1000;

    public static int Run(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is >= 0 and var i && i + 1 < args.Length ? args[i + 1] : null;
        int runs = int.Parse(Arg("--runs") ?? "3", CultureInfo.InvariantCulture);
        if (runs < 1) { Console.Error.WriteLine("word2vec: --runs must be at least 1"); return 2; }
        var threadCounts = (Arg("--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        var modes = (Arg("--gensim") ?? "iterable,file").Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none").ToArray();
        var corpus = Arg("--corpus") ?? Path.Combine(Path.GetTempPath(), "loom-w2v-bench-corpus-shuffled.txt");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, shared with other work (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start)");
        if (!File.Exists(corpus)) WriteCorpus(corpus);
        long tokens = File.ReadLines(corpus).Sum(l => (long)l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Console.WriteLine($"corpus {corpus}: {tokens:N0} tokens, {new FileInfo(corpus).Length / 1e6:F1} MB; best of {runs} alternating runs");

        var gensimVectors = Path.Combine(Path.GetTempPath(), $"loom-w2v-bench-gensim-{Environment.ProcessId}.bin");
        Word2VecModel? loom = null;
        foreach (int threads in threadCounts)
        {
            // Side 0 is Loom, then one side per gensim input mode; sides rotate which goes first.
            var best = new double[1 + modes.Length];
            var vocabulary = new double[best.Length];
            var cpu = new double[best.Length];
            Array.Fill(best, double.MaxValue);
            Array.Fill(cpu, double.MaxValue);
            Array.Fill(vocabulary, double.MaxValue);
            for (int r = 0; r < runs; r++)
                for (int k = 0; k < best.Length; k++)
                {
                    int side = (k + r) % best.Length;
                    bool save = r == runs - 1 && threads == threadCounts[^1] && side == 1;
                    double train, processor;
                    if (side == 0)
                    {
                        var clock = Stopwatch.StartNew();
                        var before = Process.GetCurrentProcess().TotalProcessorTime;
                        loom = Word2VecTrainer.Train(Sentences(corpus), new Word2VecOptions { Threads = threads, Seed = r + 1 });
                        train = clock.Elapsed.TotalSeconds;
                        processor = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
                    }
                    else (vocabulary[side], train, processor) = Gensim(corpus, modes[side - 1], threads, save ? gensimVectors : "-", seed: r + 1);
                    best[side] = Math.Min(best[side], train);
                    cpu[side] = Math.Min(cpu[side], processor);
                }
            Console.WriteLine($"{threads} thread(s):");
            Console.WriteLine($"  Loom                          {tokens / best[0] / 1e3,6:F0}k words/s  {tokens / cpu[0] / 1e3,6:F0}k words/CPU-s  ({best[0]:F2} s, vocabulary included)");
            for (int m = 0; m < modes.Length; m++)
                Console.WriteLine($"  gensim {modes[m] + " (" + (modes[m] == "file" ? "corpus_file" : "LineSentence") + ")",-22} {tokens / best[m + 1] / 1e3,6:F0}k words/s  {tokens / cpu[m + 1] / 1e3,6:F0}k words/CPU-s  " +
                    $"({best[m + 1]:F2} s train() + {vocabulary[m + 1]:F2} s build_vocab)   Loom {best[m + 1] / best[0]:F2}× as fast, {cpu[m + 1] / cpu[0]:F2}× per CPU-s");
        }
        if (loom is not null && File.Exists(gensimVectors))
        {
            Quality(loom, Word2VecModel.Load(gensimVectors, binary: true));
            File.Delete(gensimVectors);
        }
        return 0;
    }

    private static IEnumerable<string[]> Sentences(string path) =>
        File.ReadLines(path).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// Runs gensim on the file, read by its Python iterator (LineSentence: "iterable") or by its C++ reader
    /// (corpus_file: "file", its fastest mode); returns (build_vocab seconds, train seconds, train CPU seconds).
    /// </summary>
    private static (double Vocab, double Train, double Cpu) Gensim(string corpus, string mode, int workers, string save, int seed)
    {
        const string script = """
            import json, sys, time
            from gensim.models import Word2Vec
            from gensim.models.word2vec import LineSentence
            path, mode, workers, save, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
            model = Word2Vec(vector_size=100, window=5, negative=5, sg=1, min_count=5, sample=1e-3, workers=workers, epochs=1, seed=seed)
            source = {"corpus_file": path} if mode == "file" else {"corpus_iterable": LineSentence(path)}
            t = time.perf_counter(); model.build_vocab(**source); vocab = time.perf_counter() - t
            t, c = time.perf_counter(), time.process_time()
            model.train(**source, total_examples=model.corpus_count, total_words=model.corpus_total_words, epochs=1)
            train, cpu = time.perf_counter() - t, time.process_time() - c
            if save != "-": model.wv.save_word2vec_format(save, binary=True)
            print(json.dumps({"vocab": vocab, "train": train, "cpu": cpu}))
            """;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", script, corpus, mode, workers.ToString(CultureInfo.InvariantCulture), save, seed.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        using var python = Process.Start(start)!;
        var error = python.StandardError.ReadToEndAsync();
        var output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        if (python.ExitCode != 0) throw new InvalidOperationException($"gensim failed: {error.Result}");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return (root.GetProperty("vocab").GetDouble(), root.GetProperty("train").GetDouble(), root.GetProperty("cpu").GetDouble());
    }

    /// <summary>
    /// Man pages (rendered) and fortunes as lowercase words, one paragraph per line, at most 1000 words a line, lines
    /// shuffled (fixed seed): with one epoch and a decaying learning rate the order matters, and the fortunes' words
    /// would otherwise all come last, at a rate near zero.
    /// </summary>
    private static void WriteCorpus(string path)
    {
        var clock = Stopwatch.StartNew();
        var texts = ManPages.Files()
            .SelectMany(f =>
            {
                try { return ManPageReader.ReadFile(f).Sections.Select(s => s.Text); }
                catch (Exception e) when (e is IOException or InvalidDataException) { return []; }
            })
            .Concat(Fortunes.Load(new FortunesOptions { MinEntriesPerCategory = 1 }).Select(f => f.Text));
        var lines = texts.SelectMany(t => t.Split("\n\n")).SelectMany(p => Word2VecCorpus.Words(p).Chunk(MaxSentenceWords))
            .Select(words => string.Join(' ', words)).ToArray();
        new Random(1).Shuffle(lines);
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, lines, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
        Console.WriteLine($"wrote {path} in {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static void Quality(Word2VecModel loom, Word2VecModel gensim)
    {
        Console.WriteLine("quality of the last models, same yardstick for both:");
        var synonyms = WordNetSynonyms(loom, gensim);
        foreach (int limit in new[] { 10_000, int.MaxValue })
            foreach (var (name, model) in new[] { ("Loom", loom), ("gensim", gensim) })
            {
                var pairs = synonyms.Where(p => Rank(model, p.A) < limit && Rank(model, p.B) < limit).ToList();
                Console.WriteLine($"  {name,-6}: {SynonymWins(model, pairs):P1} of {pairs.Count:N0} WordNet synonym pairs" +
                    $"{(limit == int.MaxValue ? "" : $" within the {limit:N0} most frequent words")} are closer than a word of like frequency");
            }
        foreach (var word in new[] { "file", "directory", "memory", "error", "user", "love" }.Where(w => loom.Contains(w) && gensim.Contains(w)))
        {
            Console.WriteLine($"  {word}: Loom   {string.Join(", ", loom.MostSimilar(word, 6).Select(n => n.Word))}");
            Console.WriteLine($"  {new string(' ', word.Length)}  gensim {string.Join(", ", gensim.MostSimilar(word, 6).Select(n => n.Word))}");
        }
    }

    private static int Rank(Word2VecModel model, string word) => model.IdOf(word);

    /// <summary>
    /// How often cos(a, b) for synonyms a, b beats cos(a, c) for c drawn among the words within ±10 % of b's frequency
    /// rank (10 draws a pair): frequency alone shapes word2vec's geometry, so c is matched on it. Chance is 50 %.
    /// </summary>
    private static double SynonymWins(Word2VecModel model, List<(string A, string B)> pairs)
    {
        var random = new Random(7);
        int wins = 0, draws = 0;
        foreach (var (a, b) in pairs)
        {
            int rank = Rank(model, b), from = Math.Max(0, rank - rank / 10 - 5), to = Math.Min(model.Vocabulary.Count, rank + rank / 10 + 6);
            for (int k = 0; k < 10; k++)
            {
                var c = model.Vocabulary[random.Next(from, to)];
                if (c == a || c == b) continue;
                draws++;
                if (model.Similarity(a, b) > model.Similarity(a, c)) wins++;
            }
        }
        return wins / (double)draws;
    }

    /// <summary>Pairs of single-word lemmas sharing a WordNet synset (wndb(5) data files), both in both vocabularies.</summary>
    private static List<(string A, string B)> WordNetSynonyms(Word2VecModel a, Word2VecModel b)
    {
        var pairs = new HashSet<(string, string)>();
        foreach (var file in new[] { "data.noun", "data.verb", "data.adj", "data.adv" })
            foreach (var line in File.ReadLines(Path.Combine("/usr/share/wordnet", file)))
            {
                if (line.StartsWith("  ", StringComparison.Ordinal)) continue; // licence header
                var fields = line.Split(' ');
                int count = int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var words = Enumerable.Range(0, count).Select(i => fields[4 + 2 * i].Split('(')[0].ToLowerInvariant()) // "(a)": adjective markers
                    .Where(w => !w.Contains('_') && a.Contains(w) && b.Contains(w)).Distinct().ToArray();
                for (int i = 0; i < words.Length; i++)
                    for (int j = i + 1; j < words.Length; j++)
                        pairs.Add(string.CompareOrdinal(words[i], words[j]) < 0 ? (words[i], words[j]) : (words[j], words[i]));
            }
        return pairs.Order().ToList();
    }
}
