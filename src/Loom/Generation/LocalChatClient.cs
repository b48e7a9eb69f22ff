using System.Runtime.CompilerServices;
using Loom.Generation.Templates;
using Loom.Models;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Loom.Generation;

/// <summary>
/// A Microsoft.Extensions.AI chat client over a local causal model: renders the conversation with the model's
/// chat template, tokenizes it, and generates the assistant's turn. Requests are served one at a time; a
/// conversation that grows turn by turn reuses the cached keys and values of its shared prefix.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    private readonly ICausalLanguageModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly LocalChatClientOptions _options;
    private readonly Generator _generator;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A chat client for <paramref name="model"/> with its tokenizer and chat template.</summary>
    public LocalChatClient(ICausalLanguageModel model, Tokenizer tokenizer, ChatTemplate template, LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        _model = model;
        _tokenizer = tokenizer;
        _template = template;
        _options = options ?? new LocalChatClientOptions();
        _generator = new Generator(model, tokenizer, _options.ContextSize);
    }

    /// <summary>Statistics of the last request.</summary>
    public GenerationStats? LastStats => _generator.LastStats;

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            updates.Add(update);
        return updates.ToChatResponse();
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string prompt = RenderPrompt(messages, options);
        var ids = _tokenizer.EncodeToIds(prompt);
        var generation = ToGenerationOptions(options);
        string responseId = Guid.NewGuid().ToString("N");
        string modelId = options?.ModelId ?? _options.ModelId;

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var token in _generator.GenerateAsync(ids, generation, cancellationToken).ConfigureAwait(false))
            {
                if (token.Text.Length == 0) continue;
                yield return new ChatResponseUpdate(ChatRole.Assistant, token.Text) { ResponseId = responseId, MessageId = responseId, ModelId = modelId };
            }

            var stats = _generator.LastStats!;
            var usage = new UsageDetails
            {
                InputTokenCount = stats.PromptTokens,
                OutputTokenCount = stats.GeneratedTokens,
                TotalTokenCount = stats.PromptTokens + stats.GeneratedTokens,
            };
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelId,
                FinishReason = stats.FinishReason is FinishReason.Length or FinishReason.ContextFull ? ChatFinishReason.Length : ChatFinishReason.Stop,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The prompt text the model sees for this request (the template's rendering).</summary>
    public string RenderPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        var conversation = messages.ToList();
        if (!string.IsNullOrEmpty(options?.Instructions))
            conversation.Insert(0, new ChatMessage(ChatRole.System, options.Instructions));
        return _template.Render(conversation, new ChatTemplateOptions
        {
            AddGenerationPrompt = true,
            BosToken = _options.BosToken,
            EosToken = _options.EosToken,
            Variables = _options.TemplateVariables,
        });
    }

    /// <summary>Maps a request's ChatOptions onto generation options.</summary>
    internal GenerationOptions ToGenerationOptions(ChatOptions? options)
    {
        var sampling = _options.Sampling;
        if (options is not null)
        {
            sampling = sampling with
            {
                Temperature = options.Temperature ?? sampling.Temperature,
                TopP = options.TopP ?? sampling.TopP,
                TopK = options.TopK ?? sampling.TopK,
                FrequencyPenalty = options.FrequencyPenalty ?? sampling.FrequencyPenalty,
                PresencePenalty = options.PresencePenalty ?? sampling.PresencePenalty,
                Seed = options.Seed is long seed ? unchecked((ulong)seed) : sampling.Seed,
            };
        }
        return new GenerationOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? _options.MaxOutputTokens,
            Sampling = sampling,
            StopTokens = _options.StopTokens,
            StopStrings = options?.StopSequences?.ToList() ?? [],
        };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return new ChatClientMetadata("loom", null, _options.ModelId);
        if (serviceType.IsInstanceOfType(_model)) return _model;
        if (serviceType.IsInstanceOfType(_template)) return _template;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();
}
