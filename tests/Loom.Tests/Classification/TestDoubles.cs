using Microsoft.Extensions.AI;

namespace Loom.Tests.Classification;

/// <summary>An embedding generator whose dimensions are keyword counts (plus a constant), so the geometry is known.</summary>
internal sealed class KeywordEmbeddingGenerator(params string[] keywords) : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string text in values)
        {
            var words = text.ToLowerInvariant().Split([' ', '.', ',', '!', '?', '\n'], StringSplitOptions.RemoveEmptyEntries);
            var vector = new float[keywords.Length + 1];
            for (int k = 0; k < keywords.Length; k++) vector[k] = words.Count(w => w == keywords[k]);
            vector[^1] = 0.1f;
            result.Add(new Embedding<float>(vector));
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("test", null, "keywords-" + string.Join('-', keywords), keywords.Length + 1) : null;

    public void Dispose() { }
}

/// <summary>A chat client that answers from a script and records what it was asked.</summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, string> answer) : IChatClient
{
    public List<List<ChatMessage>> Requests { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Add(list);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer(list))));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

internal static class Blobs
{
    /// <summary>Gaussian blobs around the given centres; labels are the centre indices.</summary>
    public static (float[][] Points, int[] Labels) Make(double[][] centres, int perBlob, double sigma, int seed)
    {
        var random = new Random(seed);
        var points = new List<float[]>();
        var labels = new List<int>();
        for (int c = 0; c < centres.Length; c++)
            for (int i = 0; i < perBlob; i++)
            {
                points.Add(centres[c].Select(m => (float)(m + sigma * Gaussian(random))).ToArray());
                labels.Add(c);
            }
        return (points.ToArray(), labels.ToArray());
    }

    public static double Gaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
