using Loom.Models;

namespace Loom.Tests.Generation;

/// <summary>
/// A deterministic test double for generation mechanics only (no transformer inside): it predicts the next
/// token of a fixed script — sharply, logit +20 against 0 — when, and only when, the keys in its cache spell the
/// script's prefix; otherwise it predicts token 0. After the script it predicts <see cref="EndToken"/>.
/// It writes each token id into its single-layer KV cache and reads them back, so a cache bug shows up as
/// wrong text.
/// </summary>
internal sealed class ScriptedModel(int[] script, int vocabularySize, int endToken, int contextLength = 512) : ICausalLanguageModel
{
    public int VocabularySize => vocabularySize;
    public int ContextLength => contextLength;
    public int EndToken => endToken;

    /// <summary>Tokens run through Forward so far (to observe prefix reuse).</summary>
    public int ForwardedTokens { get; private set; }

    public KvCache CreateCache(int capacity) => new(layers: 1, kvDimension: 1, capacity);

    public void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, IForwardObserver? observer = null)
    {
        cache.EnsureRoom(tokens.Length);
        Span<float> keys = cache.Keys(0);
        for (int i = 0; i < tokens.Length; i++) keys[cache.Length + i] = tokens[i];
        cache.Commit(tokens);
        ForwardedTokens += tokens.Length;

        int positions = logits.Length / vocabularySize;
        int first = cache.Length - positions;
        for (int row = 0; row < positions; row++)
        {
            Span<float> target = logits.Slice(row * vocabularySize, vocabularySize);
            target.Clear();
            target[Predict(keys, first + row + 1)] = 20f;
        }
    }

    private int Predict(ReadOnlySpan<float> keys, int length)
    {
        for (int p = 0; p < length; p++)
            if (p >= script.Length || keys[p] != script[p]) return 0;
        return length < script.Length ? script[length] : endToken;
    }
}
