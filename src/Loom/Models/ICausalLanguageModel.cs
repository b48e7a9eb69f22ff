namespace Loom.Models;

/// <summary>
/// A decoder-only language model: given new tokens of one sequence and that sequence's
/// <see cref="KvCache"/>, it appends their keys and values to the cache and returns next-token logits.
/// GPT-2 and the Llama family implement it; generation and chat are written against it only.
/// </summary>
public interface ICausalLanguageModel
{
    /// <summary>Number of rows of the output logits (the tokenizer's vocabulary, special tokens included).</summary>
    int VocabularySize { get; }

    /// <summary>The longest sequence the model can attend over (positions 0 … ContextLength−1).</summary>
    int ContextLength { get; }

    /// <summary>A preallocated cache for one sequence of at most <paramref name="capacity"/> tokens
    /// (at most <see cref="ContextLength"/>).</summary>
    KvCache CreateCache(int capacity);

    /// <summary>
    /// Runs <paramref name="tokens"/> (the next positions of the sequence held in <paramref name="cache"/>)
    /// through the model as one batch and appends them to the cache.
    /// <paramref name="logits"/> receives either the last position's logits (length <see cref="VocabularySize"/>)
    /// or every position's (length tokens × VocabularySize, row-major).
    /// </summary>
    /// <exception cref="ContextOverflowException">The cache cannot hold the new tokens.</exception>
    void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, IForwardObserver? observer = null);
}

/// <summary>
/// Optional hooks to look inside a forward pass (the book's chapter 3): hidden states per layer and
/// attention weights per head. Spans are only valid during the call.
/// </summary>
public interface IForwardObserver
{
    /// <summary>The residual stream after <paramref name="layer"/> (−1 = embeddings) at absolute <paramref name="position"/>.</summary>
    void OnHiddenState(int layer, int position, ReadOnlySpan<float> hidden) { }

    /// <summary>Softmaxed attention of the query at <paramref name="position"/> over positions 0…position.</summary>
    void OnAttention(int layer, int head, int position, ReadOnlySpan<float> weights) { }
}
