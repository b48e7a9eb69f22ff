using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

/// <summary>`loom ask --endpoint`: the OpenAI-compatible client against a minimal local /v1/chat/completions server.</summary>
public class OpenAICompatibleTests
{
    [Fact]
    public async Task Rag_through_an_OpenAI_compatible_endpoint_sends_the_grounded_prompt_without_tools_and_reads_the_cited_answer()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        string? path = null, body = null;
        var server = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            path = context.Request.Url!.AbsolutePath;
            using (var reader = new StreamReader(context.Request.InputStream)) body = await reader.ReadToEndAsync();
            var reply = """
                {"id":"c1","object":"chat.completion","created":1,"model":"test-model",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Paris [1]."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}}
                """;
            var bytes = Encoding.UTF8.GetBytes(reply);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        });

        using var folder = new TempFolder();
        folder.File("c/france.md", "# France\nThe capital of France is Paris.");
        using var store = DocumentStore.Open(folder.File("s.db"));
        await new Indexer(store).IndexDirectoryAsync(Path.Combine(folder.Path, "c"));
        var chat = OpenAICompatible.CreateChatClient(new Uri($"http://127.0.0.1:{port}/v1"), "test-model", apiKey: "k");
        var answer = await new Rag(new Retriever(store), chat).AskAsync("What is the capital of France?");
        await server;

        Assert.Equal("/v1/chat/completions", path);
        var request = JsonDocument.Parse(body!).RootElement;
        Assert.Equal("test-model", request.GetProperty("model").GetString());
        var messages = request.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal(Rag.SystemPrompt, messages[0].GetProperty("content").GetString());
        Assert.Contains("The capital of France is Paris.", messages[1].GetProperty("content").GetString());
        Assert.False(request.TryGetProperty("tools", out _));
        Assert.Equal("Paris [1].", answer.Text);
        Assert.Equal([1], answer.Cited);
        Assert.EndsWith("france.md", answer.Source(1)!.Chunk.Path);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
