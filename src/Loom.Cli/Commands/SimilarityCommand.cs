using System.CommandLine;
using System.Text.Json;
using Loom.Embeddings;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom similarity "a" "b" [...]</c>: the cosine similarity matrix of sentence embeddings.</summary>
internal static class SimilarityCommand
{
    public static Command Create()
    {
        var texts = new Argument<string[]>("texts") { Description = "Two or more texts", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model") { Description = "minilm, arctic-xs, an .onnx file or a model folder", DefaultValueFactory = _ => "minilm" };
        var json = new Option<bool>("--json") { Description = "Print the matrix as JSON" };
        var command = new Command("similarity", "Cosine similarity between sentence embeddings");
        command.Arguments.Add(texts);
        command.Options.Add(model);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) =>
        {
            var values = parse.GetValue(texts) ?? [];
            if (values.Length < 2) return Task.FromResult(EncoderCli.Fail("give at least two texts"));
            return EncoderCli.Guard(() =>
            {
                using var encoder = SentenceEncoder.Create(parse.GetValue(model)!);
                var vectors = encoder.Embed(values, null, cancellationToken);
                var matrix = vectors.Select(a => vectors.Select(b => Math.Round(Pooling.Cosine(a, b), 4)).ToArray()).ToArray();
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new { texts = values, cosine = matrix }));
                    return 0;
                }
                var table = new Table().AddColumn("");
                for (int j = 0; j < values.Length; j++) table.AddColumn(new TableColumn($"[[{j}]]").RightAligned());
                for (int i = 0; i < values.Length; i++)
                    table.AddRow([$"[[{i}]] {Markup.Escape(Shorten(values[i]))}", .. matrix[i].Select(v => v.ToString("F4"))]);
                AnsiConsole.Write(table);
                return 0;
            });
        });
        return command;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
