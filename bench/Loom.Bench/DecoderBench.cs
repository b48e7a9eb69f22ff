using System.Diagnostics;
using System.Globalization;
using LLama;
using LLama.Common;
using LLama.Native;
using Loom.Formats;
using Loom.Models.Decoder;
using Loom.Tensors;

/// <summary>
/// "decoder" suite: prompt processing and generation speed (tokens/s) of Loom's decoder and llama.cpp (LLamaSharp 0.30.0,
/// its default settings) on the same random-weight GGUF shaped like Qwen2-0.5B (embedding 896, 14 heads, 2 KV heads,
/// FFN 4864, vocabulary 32000, tied output), per weight type and thread count. The two sides alternate and the best
/// round is kept. Options: --layers N (24), --prompt N (512), --gen N (128), --types F16,Q8_0,Q4_0, --threads 1,2,
/// --rounds N (2), --folder DIR (where the models are written, default the temp folder), --rounding Int8|None|LlamaCpp
/// (Loom's activation rounding, default Int8: 8-bit blocks and integer dot products before Q8_0 / Q4_0 weights).
/// </summary>
internal static class DecoderBench
{
    private const int Embedding = 896, Heads = 14, KvHeads = 2, FeedForward = 4864, Vocabulary = 32000;

    public static int Run(string[] args)
    {
        int layers = 24, prompt = 512, gen = 128, rounds = 2;
        var types = new[] { GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0 };
        var threadCounts = new[] { 1, 2 };
        string folder = Path.GetTempPath();
        var rounding = ActivationRounding.Int8;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--layers": layers = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--prompt": prompt = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--gen": gen = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--types": types = value.Split(',').Select(Enum.Parse<GgmlType>).ToArray(); break;
                case "--threads": threadCounts = value.Split(',').Select(int.Parse).ToArray(); break;
                case "--folder": folder = value; break;
                case "--rounding": rounding = Enum.Parse<ActivationRounding>(value, ignoreCase: true); break;
                default: Console.Error.WriteLine($"decoder: unknown option {args[i]}"); return 2;
            }
        }
        Directory.CreateDirectory(folder);
        NativeLibraryConfig.All.WithLogCallback((level, message) => { });
        Console.WriteLine($"Qwen2-0.5B-like: {layers} layers, embedding {Embedding}, {Heads} heads / {KvHeads} KV, FFN {FeedForward}, vocab {Vocabulary}; " +
                          $"prompt {prompt} tokens, generation {gen} tokens; best of {rounds} alternating rounds; kernel path {Kernels.Path}; Loom activations {rounding}");
        Console.WriteLine($"{"type",-5} {"thr",3} | {"Loom pp/s",9} {"llama pp/s",10} {"ratio",5} | {"Loom tg/s",9} {"llama tg/s",10} {"ratio",5} | {"Loom load s",11} {"llama load s",12} | {"Loom MB",7} {"llama MB",8}");
        var random = new Random(1);
        int[] tokens = Enumerable.Range(0, prompt).Select(_ => random.Next(3, Vocabulary)).ToArray();
        foreach (var type in types)
        {
            string path = Path.Combine(folder, $"loom-bench-qwen2-{layers}L-{type}.gguf");
            if (!File.Exists(path)) WriteModel(path, type, layers, Math.Max(prompt + gen, 1024));
            foreach (int threads in threadCounts)
            {
                Result loom = default, llama = default;
                for (int round = 0; round < rounds; round++)
                {
                    loom = Result.Best(loom, RunLoom(path, tokens, gen, threads, rounding));
                    llama = Result.Best(llama, RunLlama(path, tokens, gen, threads));
                }
                Console.WriteLine($"{type,-5} {threads,3} | {loom.Prompt,9:F1} {llama.Prompt,10:F1} {loom.Prompt / llama.Prompt,5:F2} | " +
                                  $"{loom.Generation,9:F1} {llama.Generation,10:F1} {loom.Generation / llama.Generation,5:F2} | {loom.Load,11:F2} {llama.Load,12:F2} | {loom.Megabytes,7:F0} {llama.Megabytes,8:F0}");
            }
        }
        return 0;
    }

    /// <param name="Megabytes">resident memory the run added to the process (weights mapped and touched, KV cache,
    /// buffers), measured before the engine is disposed; the larger of the rounds</param>
    private readonly record struct Result(double Prompt, double Generation, double Load, double Megabytes)
    {
        public static Result Best(Result a, Result b) =>
            new(Math.Max(a.Prompt, b.Prompt), Math.Max(a.Generation, b.Generation), a.Load == 0 ? b.Load : Math.Min(a.Load, b.Load),
                Math.Max(a.Megabytes, b.Megabytes));
    }

    private static double AddedMegabytes(long before) => (Environment.WorkingSet - before) / 1048576.0;

    private static Result RunLoom(string path, int[] prompt, int gen, int threads, ActivationRounding rounding)
    {
        long before = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        using var model = DecoderModel.Load(path, new DecoderOptions { Threads = threads, ActivationRounding = rounding });
        double load = clock.Elapsed.TotalSeconds;
        var cache = model.CreateCache(prompt.Length + gen);
        var logits = new float[model.VocabularySize];
        clock.Restart();
        model.Forward(prompt, cache, logits);
        double promptRate = prompt.Length / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int i = 0; i < gen; i++) model.Forward([ArgMax(logits)], cache, logits);
        return new(promptRate, gen / clock.Elapsed.TotalSeconds, load, AddedMegabytes(before));
    }

    private static Result RunLlama(string path, int[] prompt, int gen, int threads)
    {
        long before = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)(prompt.Length + gen),
            BatchSize = (uint)prompt.Length,
            UBatchSize = (uint)prompt.Length,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        double load = clock.Elapsed.TotalSeconds;
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++) batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        clock.Restart();
        Check(context.Decode(batch));
        float[] logits = context.NativeHandle.GetLogitsIth(prompt.Length - 1).ToArray();
        double promptRate = prompt.Length / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int i = 0; i < gen; i++)
        {
            batch.Clear();
            batch.Add((LLamaToken)ArgMax(logits), prompt.Length + i, LLamaSeqId.Zero, true);
            Check(context.Decode(batch));
            context.NativeHandle.GetLogitsIth(0).CopyTo(logits);
        }
        return new(promptRate, gen / clock.Elapsed.TotalSeconds, load, AddedMegabytes(before));
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {result}");
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>A random-weight Qwen2 GGUF with a minimal SentencePiece vocabulary (llama.cpp needs one to load).</summary>
    private static void WriteModel(string path, GgmlType type, int layers, int context)
    {
        Console.WriteLine($"writing {path} …");
        var random = new Random(7);
        int headSize = Embedding / Heads, kv = KvHeads * headSize;
        var tokens = new string[Vocabulary];
        var types = new int[Vocabulary];
        var scores = new float[Vocabulary];
        (tokens[0], types[0]) = ("<unk>", 2);
        (tokens[1], types[1]) = ("<s>", 3);
        (tokens[2], types[2]) = ("</s>", 3);
        for (int i = 0; i < 256; i++) (tokens[3 + i], types[3 + i]) = ($"<0x{i:X2}>", 6);
        for (int i = 259; i < Vocabulary; i++) (tokens[i], types[i], scores[i]) = ($"\u2581w{i}", 1, -i);
        var writer = new GgufWriter()
            .AddMetadata("general.architecture", "qwen2")
            .AddMetadata("qwen2.context_length", (uint)context)
            .AddMetadata("qwen2.embedding_length", (uint)Embedding)
            .AddMetadata("qwen2.block_count", (uint)layers)
            .AddMetadata("qwen2.feed_forward_length", (uint)FeedForward)
            .AddMetadata("qwen2.attention.head_count", (uint)Heads)
            .AddMetadata("qwen2.attention.head_count_kv", (uint)KvHeads)
            .AddMetadata("qwen2.attention.layer_norm_rms_epsilon", 1e-6f)
            .AddMetadata("qwen2.rope.freq_base", 1000000f)
            .AddMetadata("tokenizer.ggml.model", "llama")
            .AddMetadata("tokenizer.ggml.tokens", tokens)
            .AddMetadata("tokenizer.ggml.scores", scores)
            .AddMetadata("tokenizer.ggml.token_type", types)
            .AddMetadata("tokenizer.ggml.bos_token_id", 1u)
            .AddMetadata("tokenizer.ggml.eos_token_id", 2u);
        void Matrix(string name, int rows, int cols)
        {
            var values = new float[rows * cols];
            float scale = 1.5f / MathF.Sqrt(cols);
            for (int i = 0; i < values.Length; i++) values[i] = scale * (float)(random.NextDouble() * 2 - 1);
            writer.AddTensor(name, type, [cols, rows], Quantization.Quantize(type, values));
        }
        void Vector(string name, int length, float center, float spread)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++) values[i] = center + spread * (float)(random.NextDouble() * 2 - 1);
            writer.AddTensor(name, values, length);
        }
        Matrix("token_embd.weight", Vocabulary, Embedding);
        for (int l = 0; l < layers; l++)
        {
            string b = $"blk.{l}.";
            Vector(b + "attn_norm.weight", Embedding, 1, 0.2f);
            Matrix(b + "attn_q.weight", Embedding, Embedding);
            Matrix(b + "attn_k.weight", kv, Embedding);
            Matrix(b + "attn_v.weight", kv, Embedding);
            Vector(b + "attn_q.bias", Embedding, 0, 0.3f);
            Vector(b + "attn_k.bias", kv, 0, 0.3f);
            Vector(b + "attn_v.bias", kv, 0, 0.3f);
            Matrix(b + "attn_output.weight", Embedding, Embedding);
            Vector(b + "ffn_norm.weight", Embedding, 1, 0.2f);
            Matrix(b + "ffn_gate.weight", FeedForward, Embedding);
            Matrix(b + "ffn_up.weight", FeedForward, Embedding);
            Matrix(b + "ffn_down.weight", Embedding, FeedForward);
        }
        Vector("output_norm.weight", Embedding, 1, 0.2f);
        writer.Write(path);
    }
}
