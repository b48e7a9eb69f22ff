using Microsoft.Extensions.AI;

/// <summary>Opens the sentence encoder the benchmarks use.</summary>
internal static class Embeddings
{
    public static IEmbeddingGenerator<string, Embedding<float>> Open(string model)
        => throw new NotSupportedException($"no sentence encoder in this build for '{model}'; run with --model none");
}
