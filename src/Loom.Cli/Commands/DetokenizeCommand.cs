using System.CommandLine;
using System.Text.Json;
using Loom.Tokenization;

namespace Loom.Cli.Commands;

/// <summary>`loom detokenize`: turns lines of JSON id arrays (as `loom tokenize --ids` prints) back into text.</summary>
internal static class DetokenizeCommand
{
    internal static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer", "-t") { Description = "Tokenizer name, file or folder", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "File with one JSON array of ids per line", Required = true };
        var command = new Command("detokenize", "Turn token ids back into text, one line per JSON array");
        command.Options.Add(tokenizer);
        command.Options.Add(file);
        command.SetAction(parse =>
        {
            try
            {
                var t = TokenizerResolver.Resolve(parse.GetValue(tokenizer)!);
                int number = 0;
                foreach (var line in File.ReadLines(parse.GetValue(file)!.FullName))
                {
                    number++;
                    int[] ids;
                    try { ids = JsonSerializer.Deserialize<int[]>(line) ?? throw new JsonException("null"); }
                    catch (JsonException) { return Fail($"line {number} is not a JSON array of ids"); }
                    Console.Out.WriteLine(t.Decode(ids));
                }
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or Formats.ModelFormatException or UnauthorizedAccessException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static int Fail(string reason)
    {
        Console.Error.WriteLine($"loom detokenize: {reason}");
        return 1;
    }
}
