using System.Diagnostics;
using Loom.Retrieval;

/// <summary>
/// `ann`: HNSW against exact search (the peer an approximate index is measured against): build time, recall@10 and queries/s
/// per beam width, and query latency p50/p99. Vectors: a store's embeddings (--db FILE, e.g. the man pages indexed with
/// MiniLM) or clustered Gaussian vectors (--n N, --dim D). Keyword and hybrid latency too when --db is given.
/// Usage: ann [--db FILE] [--n 10000] [--dim 384] [--queries 500] [--m 16] [--ef-construction 100]
/// </summary>
internal static class AnnBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var n = int.Parse(Arg("--n") ?? "10000");
        var dim = int.Parse(Arg("--dim") ?? "384");
        var queryCount = int.Parse(Arg("--queries") ?? "500");
        var options = new HnswOptions { M = int.Parse(Arg("--m") ?? "16"), EfConstruction = int.Parse(Arg("--ef-construction") ?? "100") };
        var random = new Random(1);

        long[] ids;
        float[] vectors;
        float[][] queries;
        DocumentStore? store = null;
        if (Arg("--db") is { } db)
        {
            store = DocumentStore.Open(db, readOnly: true);
            (ids, vectors, dim) = store.ReadVectors();
            if (ids.Length == 0) return KeywordOnly(store, queryCount, random);
            n = ids.Length;
            // Queries: stored vectors with noise, so that the nearest neighbour is not trivially the vector itself.
            queries = Enumerable.Range(0, queryCount).Select(_ =>
            {
                var row = random.Next(n);
                return Enumerable.Range(0, dim).Select(d => vectors[row * dim + d] + 0.01f * (float)Gaussian(random)).ToArray();
            }).ToArray();
            Console.WriteLine($"vectors: {n} × {dim} from {db} (model {store.Model?.Name})");
        }
        else
        {
            var centres = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)Gaussian(random)).ToArray()).ToArray();
            float[] Point() { var c = centres[random.Next(centres.Length)]; return c.Select(x => x + 0.7f * (float)Gaussian(random)).ToArray(); }
            ids = Enumerable.Range(1, n).Select(i => (long)i).ToArray();
            vectors = Enumerable.Range(0, n).SelectMany(_ => Point()).ToArray();
            queries = Enumerable.Range(0, queryCount).Select(_ => Point()).ToArray();
            Console.WriteLine($"vectors: {n} × {dim} clustered Gaussian (200 centres)");
        }

        var exact = new ExactVectorIndex(ids, vectors, dim);
        var clock = Stopwatch.StartNew();
        var hnsw = new HnswIndex(dim, options);
        for (var i = 0; i < n; i++) hnsw.Add(ids[i], vectors.AsSpan(i * dim, dim));
        Console.WriteLine($"HNSW build (M={options.M}, efConstruction={options.EfConstruction}): {clock.Elapsed.TotalSeconds:0.0} s, {n / clock.Elapsed.TotalSeconds:0} inserts/s, {hnsw.Serialize().Length / 1e6:0.0} MB serialized");

        var memories = queries.Select(q => (ReadOnlyMemory<float>)q).ToList();
        var exactLatency = Latencies(queries, q => exact.Search(q, 10), rounds: 3);
        Console.WriteLine($"exact scan:  {Qps(exactLatency),8:0} queries/s  p50 {P(exactLatency, 0.5),7:0.000} ms  p99 {P(exactLatency, 0.99),7:0.000} ms");
        foreach (var ef in new[] { 16, 32, 64, 128, 256 })
        {
            var (recall, _, _) = VectorIndexes.MeasureRecall(exact, hnsw, memories, 10, ef);
            var latency = Latencies(queries, q => hnsw.Search(q, 10, ef), rounds: 3);
            Console.WriteLine($"HNSW ef={ef,3}: {Qps(latency),8:0} queries/s  p50 {P(latency, 0.5),7:0.000} ms  p99 {P(latency, 0.99),7:0.000} ms  recall@10 {recall:0.0000}  speed-up ×{Qps(latency) / Qps(exactLatency):0.0}");
        }

        if (store is not null)
        {
            var texts = store.GetChunks(ids.OrderBy(_ => random.Next()).Take(queryCount).ToList())
                .Select(c => string.Join(' ', c.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Take(8))).ToArray();
            var keyword = Latencies(texts, t => store.KeywordSearch(t, 10), rounds: 2);
            Console.WriteLine($"keyword BM25: {Qps(keyword),7:0} queries/s  p50 {P(keyword, 0.5),7:0.000} ms  p99 {P(keyword, 0.99),7:0.000} ms  (FTS5, 8-word queries)");
            // Hybrid without the query embedding (its cost is the encoder's): BM25 + exact dense + fusion.
            var hybrid = Latencies(Enumerable.Range(0, texts.Length).ToArray(), i =>
                ReciprocalRankFusion.Fuse([(store.KeywordSearch(texts[i], 50).Select(h => h.ChunkId).ToList(), 1.0), (exact.Search(queries[i], 50).Select(h => h.Id).ToList(), 1.0)]), rounds: 2);
            Console.WriteLine($"hybrid (BM25 + exact + RRF, embedding excluded): {Qps(hybrid),7:0} queries/s  p50 {P(hybrid, 0.5),7:0.000} ms  p99 {P(hybrid, 0.99),7:0.000} ms");
            store.Dispose();
        }
        Console.WriteLine("single thread; best of the rounds per query; figures from a loaded machine are noisy");
        return 0;
    }

    /// <summary>A store indexed with --keyword-only: BM25 latency alone.</summary>
    private static int KeywordOnly(DocumentStore store, int queryCount, Random random)
    {
        var ids = store.ChunkIds().OrderBy(_ => random.Next()).Take(queryCount).ToList();
        var texts = store.GetChunks(ids).Select(c => string.Join(' ', c.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Take(8))).ToArray();
        Console.WriteLine($"{store.ChunkCount} chunks, no embeddings");
        var keyword = Latencies(texts, t => store.KeywordSearch(t, 10), rounds: 2);
        Console.WriteLine($"keyword BM25: {Qps(keyword),7:0} queries/s  p50 {P(keyword, 0.5),7:0.000} ms  p99 {P(keyword, 0.99),7:0.000} ms  (FTS5, 8-word queries)");
        store.Dispose();
        return 0;
    }

    /// <summary>Per-query latency in ms, the best of several rounds (rounds alternate with nothing else, so the best filters noise).</summary>
    private static double[] Latencies<T>(IReadOnlyList<T> inputs, Action<T> run, int rounds)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var best = Enumerable.Repeat(double.MaxValue, inputs.Count).ToArray();
        for (var r = 0; r < rounds; r++)
            for (var i = 0; i < inputs.Count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                run(inputs[i]);
                best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        // On a loaded machine wall time overstates the work; CPU time per query is the load-independent figure.
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / (inputs.Count * rounds);
        Console.Write($"[cpu {cpuMs:0.000} ms/query, wall {wall.Elapsed.TotalMilliseconds / (inputs.Count * rounds):0.000}] ");
        return best;
    }

    private static double Qps(double[] latencies) => 1000.0 * latencies.Length / latencies.Sum();

    private static double P(double[] latencies, double p)
    {
        var sorted = latencies.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
