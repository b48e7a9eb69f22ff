using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Loom.Retrieval;

/// <summary>An <see cref="IChatClient"/> for any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server, OpenAI),
/// through Microsoft.Extensions.AI.OpenAI.</summary>
public static class OpenAICompatible
{
    /// <param name="endpoint">The API base, e.g. <c>http://localhost:11434/v1</c> for Ollama; requests go to <c>{endpoint}/chat/completions</c>.</param>
    /// <param name="model">The server's model name.</param>
    /// <param name="apiKey">Bearer key; local servers usually accept anything (default: $OPENAI_API_KEY, else "none").</param>
    public static IChatClient CreateChatClient(Uri endpoint, string model, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var key = apiKey ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? "none";
        return new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = endpoint }).AsIChatClient();
    }
}
