using System.CommandLine;
using System.Text.Json;
using Loom.Tokenization;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary>`loom tokenize`: how several tokenizers cut a text, side by side; or ids per line for scripts.</summary>
internal static class TokenizeCommand
{
    private static readonly string[] Colours = ["on darkblue", "on darkgreen", "on purple4", "on darkorange3", "on deepskyblue4", "on maroon"];

    internal static Command Create()
    {
        var text = new Argument<string?>("text") { Description = "Text to tokenize", Arity = ArgumentArity.ZeroOrOne };
        var tokenizers = new Option<string>("--tokenizer", "-t")
        {
            Description = $"Comma-separated tokenizers: names ({string.Join(", ", TokenizerResolver.Names)}), tokenizer.json / SentencePiece .model / vocab.txt / GGUF files or model folders",
            DefaultValueFactory = _ => "gpt2,cl100k,o200k,minilm",
        };
        var file = new Option<FileInfo?>("--file") { Description = "Tokenize each line of this file" };
        var ids = new Option<bool>("--ids") { Description = "With --file: print one JSON array of ids per line" };
        var json = new Option<bool>("--json") { Description = "Print tokens as JSON" };
        var command = new Command("tokenize", "Show how tokenizers cut a text into tokens");
        command.Arguments.Add(text);
        command.Options.Add(tokenizers);
        command.Options.Add(file);
        command.Options.Add(ids);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            try
            {
                var names = parse.GetValue(tokenizers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var input = parse.GetValue(file);
                if (input is not null)
                {
                    if (names.Length != 1) return Fail("--file takes exactly one --tokenizer");
                    if (!parse.GetValue(ids)) return Fail("--file needs --ids (one JSON array of ids per line)");
                    var tokenizer = TokenizerResolver.Resolve(names[0]);
                    foreach (var line in File.ReadLines(input.FullName))
                        Console.Out.WriteLine(JsonSerializer.Serialize(tokenizer.EncodeToIds(line)));
                    return 0;
                }
                var value = parse.GetValue(text);
                if (value is null) return Fail("give a text, or --file with --ids");
                var results = names.Select(n => TokenizerResolver.Resolve(n) is var t ? (Name: n, Tokens: TokenView.Of(t, value), WordPiece: t is BertWordPieceTokenizer) : default).ToArray();
                if (parse.GetValue(json)) PrintJson(results.Select(r => (r.Name, r.Tokens)).ToArray());
                else PrintTable(results, value);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or Formats.ModelFormatException or UnauthorizedAccessException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static void PrintJson((string Name, IReadOnlyList<TokenView> Tokens)[] results) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(results.Select(r => new
        {
            tokenizer = r.Name,
            count = r.Tokens.Count,
            tokens = r.Tokens.Select(t => new { text = t.Text, token = t.Token, id = t.Id, start = t.Span.Start.Value, end = t.Span.End.Value }),
        }), new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    // WordPiece tokens show as the vocabulary has them (lower-cased, "##" pieces, [UNK]); byte-level ones as the input text.
    private static void PrintTable((string Name, IReadOnlyList<TokenView> Tokens, bool WordPiece)[] results, string text)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("tokenizer").AddColumn("tokens").AddColumn(new TableColumn("count").RightAligned()).AddColumn(new TableColumn("chars/token").RightAligned());
        foreach (var (name, tokens, wordPiece) in results)
        {
            var cut = string.Concat(tokens.Select((t, i) =>
                $"[{Colours[i % Colours.Length]}]{Markup.Escape((wordPiece ? t.Token : Display(t)).Replace("\n", "\\n").Replace("\t", "\\t"))}[/]"));
            var ids = Markup.Escape(string.Join(' ', tokens.Select(t => t.Id)));
            table.AddRow(new Markup(Markup.Escape(name)), new Markup($"{cut}\n[grey]{ids}[/]"),
                new Text(tokens.Count.ToString()), new Text(tokens.Count == 0 ? "-" : (text.Length / (double)tokens.Count).ToString("F2")));
        }
        AnsiConsole.Write(table);
    }

    // Added tokens show as themselves; the later bytes of a character split over several tokens as U+FFFD.
    private static string Display(TokenView token) =>
        token.Text.Length > 0 ? token.Text : token.Span.Start.Value == token.Span.End.Value ? token.Token : "\uFFFD";

    private static int Fail(string reason)
    {
        Console.Error.WriteLine($"loom tokenize: {reason}");
        return 1;
    }
}
