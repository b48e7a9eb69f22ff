using Microsoft.Extensions.AI;

/// <summary>Opens the sentence encoder the benchmarks use.</summary>
internal static class Embeddings
{
    public static IEmbeddingGenerator<string, Embedding<float>> Open(string model) => Loom.Embeddings.SentenceEncoder.Create(model);
}
