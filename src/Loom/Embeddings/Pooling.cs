using System.Numerics.Tensors;

namespace Loom.Embeddings;

/// <summary>How token embeddings become one sentence embedding.</summary>
public enum PoolingMode
{
    /// <summary>Average of every token's embedding (padding never enters: sequences are packed). all-MiniLM-L6-v2's choice.</summary>
    Mean,
    /// <summary>The embedding of the first token, [CLS]. snowflake-arctic-embed's choice.</summary>
    Cls,
    /// <summary>Element-wise maximum over the tokens.</summary>
    Max,
}

/// <summary>Pooling and normalisation of token embeddings.</summary>
public static class Pooling
{
    /// <summary>Pools <paramref name="tokens"/> ([n × output.Length], one row per real token) into <paramref name="output"/>.</summary>
    public static void Pool(ReadOnlySpan<float> tokens, PoolingMode mode, Span<float> output)
    {
        int d = output.Length;
        if (d == 0 || tokens.Length == 0 || tokens.Length % d != 0) throw new ArgumentException("token embeddings are not whole rows of the output size", nameof(tokens));
        int n = tokens.Length / d;
        switch (mode)
        {
            case PoolingMode.Cls:
                tokens[..d].CopyTo(output);
                break;
            case PoolingMode.Mean:
                tokens[..d].CopyTo(output);
                for (int i = 1; i < n; i++) TensorPrimitives.Add(output, tokens.Slice(i * d, d), output);
                TensorPrimitives.Multiply(output, 1f / n, output);
                break;
            case PoolingMode.Max:
                tokens[..d].CopyTo(output);
                for (int i = 1; i < n; i++) TensorPrimitives.Max(output, tokens.Slice(i * d, d), output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown pooling mode");
        }
    }

    /// <summary>Scales <paramref name="vector"/> to unit L2 length (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Divide(vector, norm, vector);
    }

    /// <summary>Cosine similarity of two vectors of the same length.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors differ in length ({a.Length} vs {b.Length})");
        return TensorPrimitives.CosineSimilarity(a, b);
    }
}
