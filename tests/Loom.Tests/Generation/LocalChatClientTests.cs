using Loom.Generation;
using Loom.Generation.Templates;
using Microsoft.Extensions.AI;

namespace Loom.Tests.Generation;

/// <summary>The IChatClient plumbing over <see cref="ScriptedModel"/> (mechanics only; no real model here).</summary>
public class LocalChatClientTests
{
    private const int EndOfText = 100257;
    private const string Answer = " The capital of France is Paris. 🗼";
    private static readonly ChatTemplate ChatML = ChatTemplate.Parse(
        "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");

    private static readonly ChatMessage[] Question = [new(ChatRole.User, "What is the capital of France?")];

    /// <summary>A client whose model answers <see cref="Answer"/> to exactly this conversation.</summary>
    private static LocalChatClient Client(IEnumerable<ChatMessage> conversation, out ScriptedModel model, string? instructions = null)
    {
        var tokenizer = DetokenizerTests.Cl100k;
        var probe = new LocalChatClient(new ScriptedModel([], 100277, EndOfText), tokenizer, ChatML);
        string prompt = probe.RenderPrompt(conversation, new ChatOptions { Instructions = instructions });
        int[] script = [.. tokenizer.EncodeToIds(prompt), .. tokenizer.EncodeToIds(Answer)];
        model = new ScriptedModel(script, 100277, EndOfText);
        return new LocalChatClient(model, tokenizer, ChatML, new LocalChatClientOptions { StopTokens = [EndOfText], ModelId = "scripted" });
    }

    [Fact]
    public async Task Response_is_the_generated_answer_with_usage()
    {
        using var client = Client(Question, out _);
        var response = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0 });

        Assert.Equal(Answer, response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("scripted", response.ModelId);
        int answerTokens = DetokenizerTests.Cl100k.EncodeToIds(Answer).Count;
        Assert.Equal(answerTokens, response.Usage!.OutputTokenCount);
        Assert.Equal(DetokenizerTests.Cl100k.EncodeToIds(client.RenderPrompt(Question)).Count, response.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Streaming_yields_text_pieces_then_the_finish_reason()
    {
        using var client = Client(Question, out _);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, new ChatOptions { Temperature = 0 }))
            updates.Add(update);

        Assert.True(updates.Count > 3);
        Assert.Equal(Answer, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.DoesNotContain('\uFFFD', u.Text));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Single(updates, u => u.Contents.OfType<UsageContent>().Any());
    }

    [Fact]
    public async Task Max_output_tokens_and_stop_sequences_are_honoured()
    {
        using var client = Client(Question, out _);
        var shortAnswer = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 3 });
        Assert.Equal(ChatFinishReason.Length, shortAnswer.FinishReason);
        Assert.Equal(3, shortAnswer.Usage!.OutputTokenCount);

        var stopped = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, StopSequences = ["Paris"] });
        Assert.Equal(" The capital of France is ", stopped.Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [Fact]
    public void Chat_options_map_onto_sampling()
    {
        using var client = Client(Question, out _);
        var mapped = client.ToGenerationOptions(new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.5f, TopK = 7, FrequencyPenalty = 0.2f, PresencePenalty = 0.4f, Seed = 99, MaxOutputTokens = 12, StopSequences = ["###"],
        });
        Assert.Equal(new SamplingOptions { Temperature = 0.3f, TopP = 0.5f, TopK = 7, FrequencyPenalty = 0.2f, PresencePenalty = 0.4f, Seed = 99 }, mapped.Sampling);
        Assert.Equal(12, mapped.MaxTokens);
        Assert.Equal(["###"], mapped.StopStrings);
        Assert.Equal([EndOfText], mapped.StopTokens);
        Assert.Equal(new SamplingOptions(), client.ToGenerationOptions(null).Sampling);
    }

    [Fact]
    public async Task Instructions_become_the_system_turn()
    {
        using var client = Client(Question, out _, instructions: "Answer in one sentence.");
        Assert.StartsWith("<|im_start|>system\nAnswer in one sentence.<|im_end|>\n<|im_start|>user\n",
            client.RenderPrompt(Question, new ChatOptions { Instructions = "Answer in one sentence." }));
        var response = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, Instructions = "Answer in one sentence." });
        Assert.Equal(Answer, response.Text);
    }

    [Fact]
    public async Task The_next_turn_reuses_the_cached_conversation()
    {
        ChatMessage[] secondTurn = [.. Question, new(ChatRole.Assistant, Answer), new(ChatRole.User, "And of Italy?")];
        using var client = Client(secondTurn, out var model);
        // First turn: off-script for this model, but it fills the cache with the first turn's prompt.
        await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 1 });
        int firstPrompt = client.LastStats!.PromptTokens;

        var response = await client.GetResponseAsync(secondTurn, new ChatOptions { Temperature = 0 });
        Assert.Equal(Answer, response.Text);
        Assert.True(client.LastStats!.ReusedPromptTokens >= firstPrompt - 1, $"reused {client.LastStats.ReusedPromptTokens} of {firstPrompt}");
        Assert.IsType<ChatClientMetadata>(client.GetService(typeof(ChatClientMetadata)));
        Assert.Same(model, client.GetService(typeof(Loom.Models.ICausalLanguageModel)));
    }
}
