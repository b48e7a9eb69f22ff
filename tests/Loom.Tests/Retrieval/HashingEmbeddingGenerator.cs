using Microsoft.Extensions.AI;

namespace Loom.Tests.Retrieval;

/// <summary>TEST DOUBLE, not a model: a hashed bag of lower-cased words, L2-normalised. Texts sharing words get similar
/// vectors, which is all the store/index/fusion mechanics tests need; deterministic and instant.</summary>
internal sealed class HashingEmbeddingGenerator(int dimensions = 64, string modelId = "test-hashing-bag-of-words") : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values) result.Add(new Embedding<float>(Embed(text)));
        return Task.FromResult(result);
    }

    public float[] Embed(string text)
    {
        var v = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var w = word.Trim('.', ',', ';', ':', '!', '?', '"', '\'', '(', ')');
            if (w.Length == 0) continue;
            var h = (uint)StableHash(w);
            v[h % (uint)dimensions] += (h & 0x80000000) != 0 ? 1 : -1;
        }
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (var i = 0; i < v.Length; i++) v[i] /= norm;
        else v[0] = 1;
        return v;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in s) h = (h ^ c) * 16777619;
            return h;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("test", null, modelId, dimensions) : null;

    public void Dispose() { }
}
