using System.CommandLine;
using Loom.Generation;
using Loom.Generation.Templates;
using Microsoft.Extensions.AI;

namespace Loom.Cli.Commands;

/// <summary>`loom chat`: an interactive conversation with a local model, through its own chat template.</summary>
internal static class ChatCommand
{
    // End-of-turn markers of common templates; each one the tokenizer knows as a single token also stops a reply.
    internal static readonly string[] EndOfTurn = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>", "</s>", "<end_of_turn>"];

    internal static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A Hugging Face folder (config.json, *.safetensors, tokenizer.json) or a .gguf with --tokenizer" };
        var system = new Option<string?>("--system") { Description = "A system message opening the conversation" };
        var template = new Option<FileInfo?>("--template") { Description = "A Jinja chat template file, instead of the model's own" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Longest reply in tokens", DefaultValueFactory = _ => 512 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.7f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 0.95f };
        var seed = new Option<ulong?>("--seed") { Description = "Seed for reproducible replies" };
        var threads = DecoderCli.ThreadsOption();
        var tokenizer = DecoderCli.TokenizerOption();
        var command = new Command("chat", "Chat with a local model (type /reset to start over, /exit or end of input to leave)");
        command.Arguments.Add(model);
        foreach (var option in new Option[] { system, template, maxTokens, temperature, topP, seed, threads, tokenizer }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var session = DecoderCli.Open(parse.GetValue(model)!, parse.GetValue(threads), parse.GetValue(tokenizer));
                if (session.Tokenizer is not { } words)
                    return DecoderCli.Fail("chat", "chat needs the model's tokenizer: a folder with tokenizer.json, or --tokenizer FILE");
                string? source = parse.GetValue(template) is { } file ? File.ReadAllText(file.FullName) : session.Chat.Template;
                if (source is null) return DecoderCli.Fail("chat", "the model ships no chat template (tokenizer.chat_template / tokenizer_config.json); pass --template FILE");

                var stops = new HashSet<int>(session.EndTokens);
                foreach (string end in EndOfTurn.Append(session.Chat.EosToken).Where(e => e.Length > 0))
                    if (words.EncodeToIds(end) is [int single]) stops.Add(single);
                using var client = new LocalChatClient(session.Model, words, ChatTemplate.Parse(source), new LocalChatClientOptions
                {
                    BosToken = session.Chat.BosToken,
                    EosToken = session.Chat.EosToken,
                    StopTokens = stops,
                    MaxOutputTokens = parse.GetValue(maxTokens),
                    ContextSize = Math.Min(session.Model.ContextLength, 4096),
                    Sampling = new SamplingOptions { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed) },
                });

                var history = new List<ChatMessage>();
                if (parse.GetValue(system) is { } text) history.Add(new ChatMessage(ChatRole.System, text));
                int opening = history.Count;
                bool interactive = !Console.IsInputRedirected;
                while (true)
                {
                    if (interactive) Console.Out.Write("> ");
                    string? line = Console.In.ReadLine();
                    if (line is null || line.Trim() == "/exit") break;
                    if (line.Trim() == "/reset")
                    {
                        history.RemoveRange(opening, history.Count - opening);
                        continue;
                    }
                    if (line.Trim().Length == 0) continue;
                    history.Add(new ChatMessage(ChatRole.User, line));
                    var reply = new System.Text.StringBuilder();
                    await foreach (var update in client.GetStreamingResponseAsync(history, cancellationToken: cancellationToken))
                    {
                        Console.Out.Write(update.Text);
                        Console.Out.Flush();
                        reply.Append(update.Text);
                    }
                    Console.Out.WriteLine();
                    history.Add(new ChatMessage(ChatRole.Assistant, reply.ToString()));
                }
                return 0;
            }
            catch (OperationCanceledException)
            {
                return 130;
            }
            catch (Exception e) when (DecoderCli.IsRefusal(e))
            {
                return DecoderCli.Fail("chat", e.Message);
            }
        });
        return command;
    }
}
