namespace Loom.Models.Bert;

/// <summary>
/// What an encoder run looked like inside, for one sequence: the hidden state after the embeddings and after each
/// layer ([tokens × hidden] each, so <c>HiddenStates[^1]</c> holds the contextual token embeddings) and each layer's
/// attention weights ([heads × tokens × tokens], row i = how token i attends to every token).
/// </summary>
public sealed class BertCapture
{
    private readonly List<float[]> _hidden = [];
    private readonly List<float[]> _attention = [];

    public BertCapture(int tokens, int heads, int hiddenSize)
    {
        Tokens = tokens;
        Heads = heads;
        HiddenSize = hiddenSize;
    }

    public int Tokens { get; }
    public int Heads { get; }
    public int HiddenSize { get; }

    /// <summary>Embedding output then one entry per layer.</summary>
    public IReadOnlyList<float[]> HiddenStates => _hidden;

    /// <summary>One entry per layer, [heads × tokens × tokens].</summary>
    public IReadOnlyList<float[]> Attentions => _attention;

    /// <summary>Attention of token <paramref name="from"/> to token <paramref name="to"/> in one layer and head.</summary>
    public float Attention(int layer, int head, int from, int to) => _attention[layer][(head * Tokens + from) * Tokens + to];

    internal void AddHiddenState(ReadOnlySpan<float> hidden) => _hidden.Add(hidden.ToArray());

    internal float[] NewAttentionLayer(int heads, int tokens)
    {
        var layer = new float[heads * tokens * tokens];
        _attention.Add(layer);
        return layer;
    }
}
