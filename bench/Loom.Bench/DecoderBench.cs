using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;
using Loom.Formats;
using Loom.Models.Llama;
using Loom.Tensors;

/// <summary>
/// Loom's Llama decoder against llama.cpp (LLamaSharp CPU backend) on the same random-weight GGUF, shaped like a
/// 0.5B model by default: prompt processing (tokens/s) and token-by-token generation (tokens/s), best of several
/// alternating runs. Usage: decoder [--types F16,Q8_0,Q4_0] [--threads 1,2] [--layers 24] [--prompt 512] [--gen 128] [--runs 3]
/// </summary>
internal static class DecoderBench
{
    private const int Width = 896, Heads = 14, KvHeads = 2, FeedForward = 4864, Vocab = 32000;

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        var types = Arg("--types", "F16,Q8_0,Q4_0").Split(',').Select(Enum.Parse<GgmlType>).ToArray();
        var threadCounts = Arg("--threads", "1,2").Split(',').Select(int.Parse).ToArray();
        int layers = int.Parse(Arg("--layers", "24")), promptLength = int.Parse(Arg("--prompt", "512"));
        int generate = int.Parse(Arg("--gen", "128")), runs = int.Parse(Arg("--runs", "3"));
        NativeLibraryConfig.All.WithLogCallback((_, _) => { });

        var random = new Random(1);
        int[] prompt = Enumerable.Range(0, promptLength).Select(_ => random.Next(Vocab)).ToArray();
        Console.WriteLine($"decoder: width {Width}, {layers} layers, {Heads}/{KvHeads} heads, FFN {FeedForward}, vocab {Vocab}; prompt {promptLength}, generate {generate}; best of {runs}");
        Console.WriteLine("| type | threads | Loom prompt tok/s | llama.cpp prompt tok/s | ratio | Loom gen tok/s | llama.cpp gen tok/s | ratio | Loom load s | llama.cpp load s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var type in types)
        {
            string path = EnsureModel(type, layers);
            foreach (int threads in threadCounts)
            {
                Result loom = Result.Worst, peer = Result.Worst;
                for (int run = 0; run < runs; run++)
                {
                    loom = loom.Best(RunLoom(path, prompt, generate, threads));
                    peer = peer.Best(RunLlamaCpp(path, prompt, generate, threads));
                }
                Console.WriteLine($"| {type} | {threads} | {loom.Prompt:F1} | {peer.Prompt:F1} | {loom.Prompt / peer.Prompt:F2} | {loom.Generate:F2} | {peer.Generate:F2} | {loom.Generate / peer.Generate:F2} | {loom.Load:F2} | {peer.Load:F2} |");
            }
        }
        return 0;
    }

    private sealed record Result(double Prompt, double Generate, double Load)
    {
        public static Result Worst { get; } = new(0, 0, double.MaxValue);
        public Result Best(Result other) => new(Math.Max(Prompt, other.Prompt), Math.Max(Generate, other.Generate), Math.Min(Load, other.Load));
    }

    private static Result RunLoom(string path, int[] prompt, int generate, int threads)
    {
        var clock = Stopwatch.StartNew();
        using var model = LlamaModel.Load(path, threads);
        double load = clock.Elapsed.TotalSeconds;
        var cache = model.CreateCache(prompt.Length + generate);
        var logits = new float[model.VocabularySize];
        clock.Restart();
        model.Forward(prompt, cache, logits);
        double promptRate = prompt.Length / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int i = 0; i < generate; i++) model.Forward([ArgMax(logits)], cache, logits);
        return new Result(promptRate, generate / clock.Elapsed.TotalSeconds, load);
    }

    private static Result RunLlamaCpp(string path, int[] prompt, int generate, int threads)
    {
        var clock = Stopwatch.StartNew();
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)(prompt.Length + generate), BatchSize = (uint)prompt.Length, UBatchSize = (uint)prompt.Length,
            Threads = threads, BatchThreads = threads, GpuLayerCount = 0,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        double load = clock.Elapsed.TotalSeconds;
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        clock.Restart();
        Check(context.Decode(batch));
        double promptRate = prompt.Length / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int i = 0; i < generate; i++)
        {
            int next = ArgMax(context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
            batch.Clear();
            batch.Add(next, prompt.Length + i, LLamaSeqId.Zero, true);
            Check(context.Decode(batch));
        }
        return new Result(promptRate, generate / clock.Elapsed.TotalSeconds, load);
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Writes (once) a random-weight llama GGUF of the benchmark shape with a placeholder byte-level vocabulary.</summary>
    private static string EnsureModel(GgmlType type, int layers)
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-bench-decoder-{layers}l-{type}.gguf");
        if (File.Exists(path)) return path;
        var random = new Random(7);
        var writer = new GgufWriter();
        writer.AddMetadata("general.architecture", "llama");
        writer.AddMetadata("llama.context_length", 4096u);
        writer.AddMetadata("llama.embedding_length", (uint)Width);
        writer.AddMetadata("llama.block_count", (uint)layers);
        writer.AddMetadata("llama.feed_forward_length", (uint)FeedForward);
        writer.AddMetadata("llama.attention.head_count", (uint)Heads);
        writer.AddMetadata("llama.attention.head_count_kv", (uint)KvHeads);
        writer.AddMetadata("llama.attention.layer_norm_rms_epsilon", 1e-6f);
        writer.AddMetadata("llama.rope.freq_base", 1000000f);
        writer.AddMetadata("tokenizer.ggml.model", "gpt2");
        writer.AddMetadata("tokenizer.ggml.tokens", Enumerable.Range(0, Vocab).Select(i => $"t{i}").ToArray());
        writer.AddMetadata("tokenizer.ggml.merges", Array.Empty<string>());

        void Matrix(string name, int rows, int cols)
        {
            var values = new float[rows * cols];
            float scale = 1f / MathF.Sqrt(cols);
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
            writer.AddTensor(name, type, [cols, rows], Quantization.Quantize(type, values));
        }
        void Ones(string name, int length) => writer.AddTensor(name, Enumerable.Repeat(1f, length).ToArray(), length);

        int kv = KvHeads * (Width / Heads);
        Matrix("token_embd.weight", Vocab, Width);
        for (int l = 0; l < layers; l++)
        {
            string p = $"blk.{l}.";
            Ones(p + "attn_norm.weight", Width);
            Matrix(p + "attn_q.weight", Width, Width);
            Matrix(p + "attn_k.weight", kv, Width);
            Matrix(p + "attn_v.weight", kv, Width);
            Matrix(p + "attn_output.weight", Width, Width);
            Ones(p + "ffn_norm.weight", Width);
            Matrix(p + "ffn_gate.weight", FeedForward, Width);
            Matrix(p + "ffn_up.weight", FeedForward, Width);
            Matrix(p + "ffn_down.weight", Width, FeedForward);
        }
        Ones("output_norm.weight", Width);
        Matrix("output.weight", Vocab, Width);
        writer.Write(path);
        return path;
    }
}
