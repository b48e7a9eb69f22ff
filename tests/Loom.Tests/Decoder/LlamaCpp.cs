using LLama;
using LLama.Common;
using LLama.Native;

namespace Loom.Tests.Decoder;

/// <summary>
/// llama.cpp (through LLamaSharp) as the reference engine: every position's logits for a token sequence, with an F32
/// KV cache and flash attention off (its defaults move logits by up to 2e-4). Calls are serialised: the native library
/// is process-global.
/// </summary>
internal static class LlamaCpp
{
    private static readonly Lock Gate = new();
    private static bool configured;

    private static void Configure()
    {
        if (configured) return;
        NativeLibraryConfig.All.WithLogCallback((level, message) => { if (Environment.GetEnvironmentVariable("LOOM_LLAMA_LOG") is not null) File.AppendAllText(Environment.GetEnvironmentVariable("LOOM_LLAMA_LOG")!, message); });
        configured = true;
    }

    /// <summary>
    /// llama.cpp's ids for each text (BOS as the vocabulary says, special tokens in the text parsed) from the GGUF's
    /// vocabulary alone, and its text for those ids (token pieces joined, control tokens skipped).
    /// </summary>
    public static (int[][] Ids, string[] Texts) Tokenize(string ggufPath, IReadOnlyList<string> texts)
    {
        lock (Gate)
        {
            Configure();
            using var weights = LLamaWeights.LoadFromFile(new ModelParams(ggufPath) { VocabOnly = true, GpuLayerCount = 0 });
            bool addBos = weights.NativeHandle.Vocab.ShouldAddBOS;
            var ids = new int[texts.Count][];
            var decoded = new string[texts.Count];
            for (int i = 0; i < texts.Count; i++)
            {
                var tokens = weights.Tokenize(texts[i], addBos, true, System.Text.Encoding.UTF8);
                ids[i] = [.. tokens.Select(t => (int)t)];
                var decoder = new StreamingTokenDecoder(System.Text.Encoding.UTF8, weights);
                decoder.AddRange(tokens);
                decoded[i] = decoder.Read();
            }
            return (ids, decoded);
        }
    }

    public static float[][] Logits(string ggufPath, int[] tokens, int threads = 2)
    {
        lock (Gate)
        {
            Configure();
            var parameters = new ModelParams(ggufPath)
            {
                ContextSize = (uint)Math.Max(tokens.Length, 32),
                BatchSize = (uint)Math.Max(tokens.Length, 32),
                UBatchSize = (uint)Math.Max(tokens.Length, 32),
                Threads = threads,
                BatchThreads = threads,
                GpuLayerCount = 0,
                TypeK = GGMLType.GGML_TYPE_F32,
                TypeV = GGMLType.GGML_TYPE_F32,
                FlashAttention = false,
            };
            using var weights = LLamaWeights.LoadFromFile(parameters);
            using var context = weights.CreateContext(parameters);
            var batch = new LLamaBatch();
            for (int i = 0; i < tokens.Length; i++) batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, true);
            var result = context.Decode(batch);
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
            var logits = new float[tokens.Length][];
            for (int i = 0; i < tokens.Length; i++) logits[i] = context.NativeHandle.GetLogitsIth(i).ToArray();
            return logits;
        }
    }
}
