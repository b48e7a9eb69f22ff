using System.Diagnostics;
using System.Runtime.CompilerServices;
using Loom.Models;
using Microsoft.ML.Tokenizers;

namespace Loom.Generation;

/// <summary>
/// Generates text for one sequence at a time with a causal model: processes the prompt as one batch
/// (reusing the cached keys and values of a shared prefix from the previous call), then decodes one
/// token at a time, streaming tokens with their text as they come. Not for concurrent use: one generator
/// owns one <see cref="KvCache"/>.
/// </summary>
public sealed class Generator
{
    private readonly ICausalLanguageModel _model;
    private readonly Func<StreamingDetokenizer> _detokenizer;
    private int _running;

    /// <summary>A generator whose text comes from <paramref name="tokenizer"/>'s <c>Decode</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="contextSize">Positions of the KV cache; default min(model context, 4096).</param>
    public Generator(ICausalLanguageModel model, Tokenizer tokenizer, int? contextSize = null)
        : this(model, () => new TokenizerDetokenizer(tokenizer), contextSize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
    }

    /// <summary>A generator with a custom detokenizer (e.g. a <see cref="ByteDetokenizer"/>).</summary>
    public Generator(ICausalLanguageModel model, Func<StreamingDetokenizer> detokenizer, int? contextSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(detokenizer);
        int size = contextSize ?? Math.Min(model.ContextLength, 4096);
        if (size <= 0 || size > model.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(contextSize), $"The context size must be in 1…{model.ContextLength}, not {size}.");
        _model = model;
        _detokenizer = detokenizer;
        Cache = model.CreateCache(size);
    }

    /// <summary>The sequence's keys and values; holds the last prompt and generated tokens.</summary>
    public KvCache Cache { get; }

    /// <summary>Statistics of the last generation (updated when it ends, including by cancellation).</summary>
    public GenerationStats? LastStats { get; private set; }

    /// <summary>Streams the continuation of <paramref name="prompt"/>.</summary>
    /// <exception cref="ArgumentException">Empty prompt or a token id outside the vocabulary.</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit the context.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; <see cref="LastStats"/> says how far it got.</exception>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> prompt,
        GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        options.Validate();
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        int vocabulary = _model.VocabularySize;
        foreach (int id in prompt)
            if ((uint)id >= (uint)vocabulary) throw new ArgumentException($"Prompt token {id} is outside the vocabulary of {vocabulary}.", nameof(prompt));
        if (prompt.Count > Cache.Capacity) throw new ContextOverflowException(prompt.Count, Cache.Capacity);
        if (Interlocked.Exchange(ref _running, 1) == 1)
            throw new InvalidOperationException("This generator is already generating; use one generator per concurrent sequence.");

        var stats = new GenerationStats { PromptTokens = prompt.Count };
        try
        {
            int[] promptIds = [.. prompt];
            var sampler = new Sampler(options.Sampling);
            foreach (int id in promptIds) sampler.Accept(id);
            var stop = new StopStringMatcher(options.StopStrings);
            var detokenizer = _detokenizer();
            detokenizer.Prime(promptIds);
            float[] logits = new float[vocabulary];

            // Reuse the cached prefix; at least the last prompt token is recomputed, to get its logits.
            int reused = options.UseKvCache ? Math.Min(Cache.TruncateToCommonPrefix(promptIds), promptIds.Length - 1) : 0;
            Cache.Truncate(reused);
            stats = stats with { ReusedPromptTokens = reused };

            var clock = Stopwatch.StartNew();
            await ForwardAsync(promptIds.AsMemory(reused), logits, cancellationToken).ConfigureAwait(false);
            stats = stats with { PromptTime = clock.Elapsed };
            clock.Restart();

            int generated = 0;
            var finish = FinishReason.Length;
            while (generated < options.MaxTokens)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int token = sampler.Sample(logits);
                double logProbability = LogSoftmaxAt(logits, token);
                sampler.Accept(token);

                if (options.StopTokens.Contains(token))
                {
                    finish = FinishReason.StopToken;
                    string rest = stop.Push(detokenizer.Flush()) + stop.Flush();
                    if (rest.Length > 0) yield return new GeneratedToken(token, rest, logProbability);
                    break;
                }

                generated++;
                string text = stop.Push(detokenizer.Append(token));
                if (stop.Stopped)
                {
                    finish = FinishReason.StopString;
                    if (text.Length > 0) yield return new GeneratedToken(token, text, logProbability);
                    break;
                }

                bool last = generated == options.MaxTokens || Cache.Length == Cache.Capacity;
                if (last)
                {
                    finish = generated == options.MaxTokens ? FinishReason.Length : FinishReason.ContextFull;
                    text += stop.Push(detokenizer.Flush());
                    text += stop.Stopped ? "" : stop.Flush();
                    if (stop.Stopped) finish = FinishReason.StopString;
                }
                stats = stats with { GeneratedTokens = generated, GenerationTime = clock.Elapsed };
                yield return new GeneratedToken(token, text, logProbability);
                if (last) break;

                if (options.UseKvCache)
                {
                    await ForwardAsync(new[] { token }, logits, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    int[] sequence = [.. Cache.Tokens, token];
                    Cache.Clear();
                    await ForwardAsync(sequence, logits, cancellationToken).ConfigureAwait(false);
                }
            }
            stats = stats with { GeneratedTokens = generated, GenerationTime = clock.Elapsed, FinishReason = finish };
        }
        finally
        {
            if (stats.FinishReason == FinishReason.None) stats = stats with { FinishReason = FinishReason.Cancelled };
            LastStats = stats;
            Volatile.Write(ref _running, 0);
        }
    }

    private Task ForwardAsync(ReadOnlyMemory<int> tokens, float[] logits, CancellationToken cancellationToken) =>
        Task.Run(() => _model.Forward(tokens.Span, Cache, logits), cancellationToken);

    private static double LogSoftmaxAt(ReadOnlySpan<float> logits, int index)
    {
        float max = float.NegativeInfinity;
        foreach (float x in logits) max = Math.Max(max, x);
        double sum = 0;
        foreach (float x in logits) sum += Math.Exp((double)x - max);
        return logits[index] - max - Math.Log(sum);
    }
}
