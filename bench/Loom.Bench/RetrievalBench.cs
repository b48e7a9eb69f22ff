using Loom.Data;
using System.Diagnostics;
using Loom.Retrieval;
using Microsoft.Extensions.AI;

/// <summary>
/// `retrieval`: the store end to end on real man-page text. (1) Ingestion with embedding: the Indexer with MiniLM on the
/// first --ingest-pages pages. (2) Stores of --sizes chunks (man pages rendered and chunked as `loom index` does); their
/// vectors are the ingested pages' real MiniLM chunk vectors, each reused with small Gaussian noise and renormalised
/// (embedding 100k chunks takes hours here; search latency depends on the count and dimension, not on which vectors).
/// Queries are real MiniLM embeddings of man-page NAME descriptions. Per mode (keyword, dense exact, dense HNSW, hybrid)
/// the latency of Retriever.SearchAsync, query embedding excluded (timed separately), modes alternating, best of the
/// rounds per query; then HNSW recall@10 against exact and queries/s per efSearch.
/// With --noise 0 each chunk keeps its own real vector (e.g. --sizes 10000 --ingest-pages 900 --noise 0).
/// Usage: retrieval [--sizes 10000,100000] [--ingest-pages 300] [--queries 200] [--rounds 3] [--noise 0.02] [--dir DIR]
/// </summary>
internal static class RetrievalBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var sizes = (Arg("--sizes") ?? "10000,100000").Split(',').Select(int.Parse).ToArray();
        var ingestPages = int.Parse(Arg("--ingest-pages") ?? "300");
        var queryCount = int.Parse(Arg("--queries") ?? "200");
        var rounds = int.Parse(Arg("--rounds") ?? "3");
        var noise = float.Parse(Arg("--noise") ?? "0.02", System.Globalization.CultureInfo.InvariantCulture);
        var dir = Arg("--dir") ?? Path.Combine(Path.GetTempPath(), "loom-retrieval-bench");
        Directory.CreateDirectory(dir);
        var random = new Random(1);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, shared with other helpers (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start)");

        // Man pages in a fixed shuffled order; read and chunked until the largest store is covered.
        var files = Directory.EnumerateFiles("/usr/share/man", "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("/man/man", StringComparison.Ordinal) && ManPageReader.LooksLikeManPage(f))
            .Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).ToList();
        var chunker = new Chunker();
        var pages = new List<(ManPage Page, IReadOnlyList<TextChunk> Chunks)>();
        var clock = Stopwatch.StartNew();
        var total = 0;
        foreach (var file in files)
        {
            if (total >= sizes.Max() && pages.Count >= ingestPages) break;
            ManPage page;
            try { page = ManPageReader.ReadFile(file); } catch (Exception e) when (e is UnsupportedDocumentException or IOException or InvalidDataException) { continue; }
            var chunks = chunker.Chunk(page.Document);
            if (chunks.Count == 0) continue;
            pages.Add((page, chunks));
            total += chunks.Count;
        }
        Console.WriteLine($"read and chunked {pages.Count} man pages → {total} chunks in {clock.Elapsed.TotalSeconds:0.0} s");

        using var encoder = Embeddings.Open("minilm");
        var model = EmbeddingModels.DescribeAsync(encoder).Result;

        // (1) Ingestion with embedding.
        var ingestPath = Path.Combine(dir, "ingest.db");
        DeleteStore(ingestPath);
        float[] pool;
        int dim;
        using (var ingestStore = DocumentStore.Open(ingestPath))
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            clock.Restart();
            var summary = new Indexer(ingestStore, encoder).IndexDocumentsAsync(pages.Take(ingestPages).Select(p => p.Page.Document).ToList()).Result;
            var seconds = clock.Elapsed.TotalSeconds;
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"ingestion with MiniLM: {summary.DocumentsTotal} pages, {summary.ChunksTotal} chunks in {seconds:0.0} s wall ({summary.ChunksTotal / seconds:0.0} chunks/s), " +
                $"{cpuSeconds:0.0} s CPU ({summary.ChunksTotal / cpuSeconds:0.0} chunks per CPU-second), HNSW update included");
            long[] ids;
            (ids, pool, dim) = ingestStore.ReadVectors();
            // --noise 0 pairs the pool with the chunks by position: check the order really matches.
            if (noise == 0 && !ingestStore.GetChunks(ids).Select(c => c.Text).SequenceEqual(pages.SelectMany(p => p.Chunks).Take(ids.Length).Select(c => c.Text)))
                throw new InvalidOperationException("the ingested chunks are not in the benchmark's chunk order");
        }

        // Queries: NAME descriptions of pages, embedded for real (cost per query timed here, excluded below).
        var queries = pages.Select(p => p.Page.Description).Where(d => d.Split(' ').Length >= 3).Distinct()
            .OrderBy(_ => random.Next()).Take(queryCount).ToArray();
        clock.Restart();
        var queryVectors = queries.ToDictionary(q => q, q => encoder.GenerateAsync([q]).Result[0].Vector);
        Console.WriteLine($"{queries.Length} queries (man-page NAME descriptions, e.g. \"{queries[0]}\"); MiniLM embedding {clock.Elapsed.TotalMilliseconds / queries.Length:0.0} ms/query");
        using var cached = new PrecomputedEmbeddings(encoder, queryVectors);

        foreach (var size in sizes)
        {
            Console.WriteLine(noise == 0 ? $"\n## {size} chunks, each with its own MiniLM vector" : $"\n## {size} chunks ({pool.Length / dim} real MiniLM vectors reused with noise σ {noise} per dimension)");
            var path = Path.Combine(dir, $"store-{size}.db");
            DeleteStore(path);
            using (var store = DocumentStore.Open(path))
            {
                clock.Restart();
                var writes = Writes(pages, size, pool, dim, noise, random);
                foreach (var batch in writes.Chunk(64)) store.Commit(batch, model: model);
                Console.WriteLine($"write: {store.ChunkCount} chunks of {store.DocumentCount} pages in {clock.Elapsed.TotalSeconds:0.0} s ({store.ChunkCount / clock.Elapsed.TotalSeconds:0} chunks/s, vectors given)");
                clock.Restart();
                VectorIndexes.UpdateHnsw(store);
                Console.WriteLine($"HNSW build + persist: {clock.Elapsed.TotalSeconds:0.0} s; store file {new FileInfo(path).Length / 1e6:0} MB");
            }
            using (var store = DocumentStore.Open(path, readOnly: true))
            {
                var retriever = new Retriever(store, cached);
                SearchOptions[] modes =
                [
                    new() { Mode = SearchMode.Keyword, K = 10 },
                    new() { Mode = SearchMode.Dense, K = 10, DenseIndex = DenseIndexKind.Exact },
                    new() { Mode = SearchMode.Dense, K = 10, DenseIndex = DenseIndexKind.Hnsw },
                    new() { Mode = SearchMode.Hybrid, K = 10 },
                ];
                string[] names = ["keyword (FTS5 BM25)", "dense exact", "dense HNSW ef 64", $"hybrid (BM25 + {(size > new SearchOptions().HnswThreshold ? "HNSW" : "exact")} + RRF)"];
                foreach (var options in modes) retriever.SearchAsync(queries[0], options).Wait(); // load the indexes
                var best = modes.Select(_ => Enumerable.Repeat(double.MaxValue, queries.Length).ToArray()).ToArray();
                var cpu = new double[modes.Length];
                for (var r = 0; r < rounds; r++)
                    for (var m = 0; m < modes.Length; m++)
                    {
                        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                        for (var i = 0; i < queries.Length; i++)
                        {
                            var start = Stopwatch.GetTimestamp();
                            retriever.SearchAsync(queries[i], modes[m]).Wait();
                            best[m][i] = Math.Min(best[m][i], Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        }
                        cpu[m] += (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds;
                    }
                Console.WriteLine($"{"mode",-34} {"p50 ms",8} {"p99 ms",8} {"CPU ms/q",9}");
                for (var m = 0; m < modes.Length; m++)
                    Console.WriteLine($"{names[m],-34} {P(best[m], 0.5),8:0.000} {P(best[m], 0.99),8:0.000} {cpu[m] / (rounds * queries.Length),9:0.000}");

                var exact = VectorIndexes.LoadExact(store);
                var hnsw = VectorIndexes.LoadHnsw(store)!;
                var memories = queries.Select(q => queryVectors[q]).ToList();
                Console.WriteLine($"{"efSearch",-10} {"recall@10",9} {"HNSW q/s",9} {"exact q/s",9}");
                foreach (var ef in new[] { 16, 32, 64, 128, 256, 512 })
                {
                    var runs = Enumerable.Range(0, rounds).Select(_ => VectorIndexes.MeasureRecall(exact, hnsw, memories, 10, ef)).ToList();
                    Console.WriteLine($"{ef,-10} {runs[0].Recall,9:0.0000} {runs.Max(x => x.HnswQps),9:0} {runs.Max(x => x.ExactQps),9:0}");
                }
            }
        }
        Console.WriteLine("\nsingle thread per query; latencies are Retriever.SearchAsync (search + chunk fetch), query embedding excluded");
        return 0;
    }

    /// <summary>Document writes for the first <paramref name="size"/> chunks (the last page cut to fit), each chunk given a
    /// random real vector from the pool plus Gaussian noise, renormalised — or, with no noise, its own vector (the pool is
    /// the ingested pages' vectors, in the same chunk order).</summary>
    private static List<DocumentWrite> Writes(List<(ManPage Page, IReadOnlyList<TextChunk> Chunks)> pages, int size, float[] pool, int dim, float noise, Random random)
    {
        if (noise == 0 && pool.Length / dim < size) throw new ArgumentException($"--noise 0 uses each chunk's own vector: embed at least {size} chunks (--ingest-pages)");
        var writes = new List<DocumentWrite>();
        var left = size;
        foreach (var (page, all) in pages)
        {
            if (left == 0) break;
            var chunks = all.Take(left).ToList();
            left -= chunks.Count;
            var written = 0;
            var vectors = chunks.Select(_ =>
            {
                var ordinal = size - left - chunks.Count + written++;
                if (noise == 0) return (ReadOnlyMemory<float>)pool.AsMemory(ordinal * dim, dim); // the chunk's own vector
                var source = random.Next(pool.Length / dim) * dim;
                var v = new float[dim];
                for (var d = 0; d < dim; d++) v[d] = pool[source + d] + noise * (float)Gaussian(random);
                var norm = MathF.Sqrt(v.Sum(x => x * x));
                for (var d = 0; d < dim; d++) v[d] /= norm;
                return (ReadOnlyMemory<float>)v;
            }).ToList();
            writes.Add(new DocumentWrite(page.Document.Path, page.Document.Title, page.Document.Path, chunks, vectors));
        }
        return writes;
    }

    private static void DeleteStore(string path)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
    }

    private static double P(double[] latencies, double p)
    {
        var sorted = latencies.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>The encoder with the benchmark queries' vectors computed in advance, so search latency excludes embedding.</summary>
    private sealed class PrecomputedEmbeddings(IEmbeddingGenerator<string, Embedding<float>> inner, Dictionary<string, ReadOnlyMemory<float>> vectors)
        : IEmbeddingGenerator<string, Embedding<float>>
    {
        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            if (list.All(vectors.ContainsKey)) return new(list.Select(v => new Embedding<float>(vectors[v])));
            return await inner.GenerateAsync(list, options, cancellationToken).ConfigureAwait(false);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose() { }
    }
}
