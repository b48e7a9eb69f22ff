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

    public static float[][] Logits(string ggufPath, int[] tokens, int threads = 2)
    {
        lock (Gate)
        {
            if (!configured)
            {
                NativeLibraryConfig.All.WithLogCallback((level, message) => { if (Environment.GetEnvironmentVariable("LOOM_LLAMA_LOG") is not null) File.AppendAllText(Environment.GetEnvironmentVariable("LOOM_LLAMA_LOG")!, message); });
                configured = true;
            }
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
