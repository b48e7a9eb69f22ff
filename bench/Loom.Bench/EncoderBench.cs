using Loom.Formats;
using System.Diagnostics;
using Loom.Embeddings;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

/// <summary>
/// "encoder" suite: sentence embeddings, Loom vs ONNX Runtime on the same ONNX graph, the same token ids (HF-exact
/// WordPiece) and the same sentences (the first N Debian fortunes), both sides sorted by length; sentences/s with 1 and 2
/// threads at batch 1, 32 and 128, the two sides alternating, best of several rounds. Then parity on all N sentences for
/// both packaged models: max |Δ| of the last hidden state and the minimum cosine of the pooled sentence embeddings.
/// Options: --sentences N (speed, default 2048), --parity N (default 2048), --rounds R (default 3),
/// --models minilm,arctic-xs (speed; default minilm), --batches 1,32,128 and --threads 1,2 (the defaults).
/// </summary>
internal static class EncoderBench
{
    public static int Run(string[] args)
    {
        int sentences = Option(args, "--sentences", 2048), rounds = Option(args, "--rounds", 3), paritySentences = Option(args, "--parity", 2048);
        var speedModels = (OptionText(args, "--models") ?? "minilm").Split(',');
        int[] batches = Numbers(args, "--batches", [1, 32, 128]), threadCounts = Numbers(args, "--threads", [1, 2]);
        var fortunes = ReadFortunes().Take(sentences).ToArray();
        var parityFortunes = ReadFortunes().Take(paritySentences).ToArray();
        Console.WriteLine($"{fortunes.Length} fortunes; {Environment.ProcessorCount} cores; best of {rounds} alternating rounds");
        Console.WriteLine("s/s = sentences per wall-clock second; cpu ratio = ORT CPU seconds / Loom CPU seconds (robust on a loaded machine)");
        Console.WriteLine($"{"model",-10} {"batch",5} {"thr",3} {"Loom s/s",9} {"ORT s/s",9} {"ratio",6} {"cpu ratio",9}");
        foreach (var name in speedModels)
        {
            using var encoder = SentenceEncoder.Create(name);
            var ids = fortunes.Select(encoder.Tokenize).OrderByDescending(s => s.Length).ToArray();
            foreach (int threads in threadCounts)
            {
                using var ort = new OrtEncoder(DefaultModels.Resolve(name).ModelPath, threads);
                foreach (int batch in batches)
                {
                    // Batch 1 is slow on both sides: a quarter of the sentences is enough to rank them.
                    var set = batch == 1 ? ids.Where((_, i) => i % 4 == 0).ToArray() : ids;
                    using var loom = new SentenceEncoder(encoder.Model, encoder.Tokenizer, new SentenceEncoderOptions { BatchSize = batch, Threads = threads }, encoder.Pooling);
                    Best loomBest = new(), ortBest = new();
                    for (int r = 0; r < rounds; r++)
                    {
                        // Alternate which side goes first so neither always gets the warmer caches or the quieter moment.
                        if (r % 2 == 0) { loomBest.Add(Measure(() => loom.EmbedTokens(set))); ortBest.Add(Measure(() => ort.Embed(set, batch, encoder.Pooling))); }
                        else { ortBest.Add(Measure(() => ort.Embed(set, batch, encoder.Pooling))); loomBest.Add(Measure(() => loom.EmbedTokens(set))); }
                    }
                    double loomRate = set.Length / loomBest.Wall, ortRate = set.Length / ortBest.Wall;
                    Console.WriteLine($"{name,-10} {batch,5} {threads,3} {loomRate,9:F1} {ortRate,9:F1} {loomRate / ortRate,6:F2} {ortBest.Cpu / loomBest.Cpu,9:F2}");
                }
                // The quantised path: Q8_0 linear weights, batch 32, against the same ONNX Runtime f32 run.
                using (var q8 = new SentenceEncoder(encoder.Model.Quantize(Loom.Tensors.GgmlType.Q8_0), encoder.Tokenizer,
                           new SentenceEncoderOptions { BatchSize = 32, Threads = threads }, encoder.Pooling))
                using (var f32 = new SentenceEncoder(encoder.Model, encoder.Tokenizer, new SentenceEncoderOptions { BatchSize = 32, Threads = threads }, encoder.Pooling))
                {
                    double bestQ8 = double.MaxValue, bestOrt = double.MaxValue, bestF32 = double.MaxValue;
                    float[][] quantised = [], exact = [];
                    for (int r = 0; r < rounds; r++)
                    {
                        // Alternate the order of the two Loom runs, as above: neither always follows ONNX Runtime.
                        bestOrt = Math.Min(bestOrt, Time(() => ort.Embed(ids, 32, encoder.Pooling)));
                        if (r % 2 == 1) bestF32 = Math.Min(bestF32, Time(() => exact = f32.EmbedTokens(ids)));
                        bestQ8 = Math.Min(bestQ8, Time(() => quantised = q8.EmbedTokens(ids)));
                        if (r % 2 == 0) bestF32 = Math.Min(bestF32, Time(() => exact = f32.EmbedTokens(ids)));
                    }
                    float worst = Enumerable.Range(0, ids.Length).Min(i => Pooling.Cosine(exact[i], quantised[i]));
                    Console.WriteLine($"{name + " q8_0",-10} {32,5} {threads,3} {ids.Length / bestQ8,9:F1} {ids.Length / bestOrt,9:F1} {bestOrt / bestQ8,6:F2}  " +
                                      $"({bestF32 / bestQ8:F2}× Loom f32; min cosine to f32 {worst:F5})");
                }
            }
        }
        Console.WriteLine($"peak working set of the process (both engines): {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB");

        Console.WriteLine();
        foreach (var name in DefaultModels.Names)
        {
            using var encoder = SentenceEncoder.Create(name);
            using var ort = new OrtEncoder(DefaultModels.Resolve(name).ModelPath, 2);
            var ids = parityFortunes.Select(encoder.Tokenize).OrderBy(s => s.Length).ToArray();
            var workspace = new Loom.Models.Bert.BertWorkspace();
            double worstAbs = 0, worstCos = 1;
            var a = new float[encoder.Dimensions];
            var e = new float[encoder.Dimensions];
            foreach (var batch in ids.Chunk(32))
            {
                encoder.Model.Run(batch, workspace, 2);
                var expected = ort.LastHiddenState(batch);
                for (int s = 0; s < batch.Length; s++)
                {
                    var actual = workspace.SequenceHidden(s);
                    for (int k = 0; k < actual.Length; k++) worstAbs = Math.Max(worstAbs, Math.Abs(actual[k] - expected[s][k]));
                    Pooling.Pool(actual, encoder.Pooling, a);
                    Pooling.Pool(expected[s], encoder.Pooling, e);
                    worstCos = Math.Min(worstCos, Pooling.Cosine(a, e));
                }
            }
            Console.WriteLine($"parity {name}: {ids.Length} sentences, {ids.Sum(i => i.Length)} tokens; max |Δ| last_hidden_state {worstAbs:E2}; min cosine {worstCos:F7}");
        }
        return 0;
    }

    private static double Time(Action action) => Measure(action).Wall;

    /// <summary>Wall-clock and process CPU seconds of one run.</summary>
    private static (double Wall, double Cpu) Measure(Action action)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    /// <summary>The best (smallest) wall-clock and CPU times over the rounds.</summary>
    private sealed class Best
    {
        public double Wall { get; private set; } = double.MaxValue;
        public double Cpu { get; private set; } = double.MaxValue;

        public void Add((double Wall, double Cpu) run)
        {
            Wall = Math.Min(Wall, run.Wall);
            Cpu = Math.Min(Cpu, run.Cpu);
        }
    }

    private static int Option(string[] args, string name, int fallback) => OptionText(args, name) is { } v ? int.Parse(v) : fallback;

    private static int[] Numbers(string[] args, string name, int[] fallback) =>
        OptionText(args, name) is { } v ? [.. v.Split(',').Select(int.Parse)] : fallback;

    private static string? OptionText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static IEnumerable<string> ReadFortunes()
    {
        foreach (var file in Directory.GetFiles("/usr/share/games/fortunes").Where(f => Path.GetExtension(f) == "").Order(StringComparer.Ordinal))
            foreach (var entry in File.ReadAllText(file).Split("\n%\n"))
            {
                var text = string.Join(' ', entry.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                if (text.Length > 0 && text != "%") yield return text;
            }
    }

    /// <summary>ONNX Runtime on the same graph: padded batches, then the same pooling and normalisation as Loom.</summary>
    private sealed class OrtEncoder : IDisposable
    {
        private readonly InferenceSession _session;

        public OrtEncoder(string path, int threads)
        {
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
            _session = new InferenceSession(path, options);
        }

        public float[][] Embed(int[][] ids, int batchSize, PoolingMode pooling)
        {
            var result = new List<float[]>(ids.Length);
            foreach (var batch in ids.Chunk(batchSize))
                foreach (var hidden in LastHiddenState(batch))
                {
                    var v = new float[384];
                    Pooling.Pool(hidden, pooling, v);
                    Pooling.Normalize(v);
                    result.Add(v);
                }
            return [.. result];
        }

        public float[][] LastHiddenState(int[][] batch)
        {
            int n = batch.Length, length = batch.Max(s => s.Length);
            var input = new DenseTensor<long>([n, length]);
            var mask = new DenseTensor<long>([n, length]);
            var types = new DenseTensor<long>([n, length]);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < batch[b].Length; i++) { input[b, i] = batch[b][i]; mask[b, i] = 1; }
            using var results = _session.Run(
                [NamedOnnxValue.CreateFromTensor("input_ids", input), NamedOnnxValue.CreateFromTensor("attention_mask", mask),
                 NamedOnnxValue.CreateFromTensor("token_type_ids", types)], ["last_hidden_state"]);
            var hidden = (DenseTensor<float>)results.First().AsTensor<float>();
            int d = hidden.Dimensions[2];
            var span = hidden.Buffer.Span;
            var output = new float[n][];
            for (int b = 0; b < n; b++) output[b] = span.Slice(b * length * d, batch[b].Length * d).ToArray();
            return output;
        }

        public void Dispose() => _session.Dispose();
    }
}
