using System.CommandLine;
using System.Text.Json;
using Loom.Embeddings;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom attention "text" --layer L --head H [--png out.png]</c>: where each token looks, in one layer and head.</summary>
internal static class AttentionCommand
{
    public static Command Create()
    {
        var text = new Argument<string>("text") { Description = "Text to look inside" };
        var model = new Option<string>("--model") { Description = "minilm, arctic-xs, an .onnx file or a model folder", DefaultValueFactory = _ => "minilm" };
        var layer = new Option<int>("--layer") { Description = "Layer, from 0; negative counts from the last (-1)", DefaultValueFactory = _ => -1 };
        var head = new Option<int>("--head") { Description = "Attention head, from 0", DefaultValueFactory = _ => 0 };
        var png = new Option<FileInfo?>("--png") { Description = "Draw the attention heatmap with token labels to this PNG" };
        var json = new Option<bool>("--json") { Description = "Print tokens and the attention matrix as JSON" };
        var command = new Command("attention", "Show the attention weights of one layer and head");
        command.Arguments.Add(text);
        foreach (var option in new Option[] { model, layer, head, png, json }) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => EncoderCli.Guard(() =>
        {
            using var encoder = SentenceEncoder.Create(parse.GetValue(model)!);
            var config = encoder.Model.Config;
            int l = parse.GetValue(layer), h = parse.GetValue(head);
            if (l < 0) l += config.Layers;
            if (l < 0 || l >= config.Layers) return EncoderCli.Fail($"--layer must be in 0..{config.Layers - 1} (or -{config.Layers}..-1)");
            if (h < 0 || h >= config.Heads) return EncoderCli.Fail($"--head must be in 0..{config.Heads - 1}");

            var ids = encoder.Tokenize(parse.GetValue(text)!);
            var capture = encoder.Model.Inspect(ids, encoder.Options.Threads, cancellationToken);
            var tokens = ids.Select(id => TokenLabel(encoder, id)).ToArray();
            var weights = new double[ids.Length, ids.Length];
            for (int i = 0; i < ids.Length; i++)
                for (int j = 0; j < ids.Length; j++) weights[i, j] = capture.Attention(l, h, i, j);

            if (parse.GetValue(png) is { } file)
            {
                AttentionPlot.Save(file.FullName, tokens, weights, $"{encoder.Metadata.DefaultModelId} · layer {l} · head {h}");
                Console.Error.WriteLine($"wrote {file.FullName}");
            }
            if (parse.GetValue(json))
            {
                var rows = Enumerable.Range(0, ids.Length).Select(i => Enumerable.Range(0, ids.Length).Select(j => Math.Round(weights[i, j], 5)).ToArray());
                Console.WriteLine(JsonSerializer.Serialize(new { layer = l, head = h, tokens, attention = rows }));
            }
            else if (parse.GetValue(png) is null)
            {
                var table = new Table().AddColumn("token").AddColumn("attends most to").AddColumn(new TableColumn("weight").RightAligned());
                for (int i = 0; i < ids.Length; i++)
                {
                    int best = 0;
                    for (int j = 1; j < ids.Length; j++) if (weights[i, j] > weights[i, best]) best = j;
                    table.AddRow(Markup.Escape(tokens[i]), Markup.Escape(tokens[best]), weights[i, best].ToString("F3"));
                }
                AnsiConsole.Write(table);
            }
            return 0;
        }));
        return command;
    }

    private static string TokenLabel(SentenceEncoder encoder, int id)
    {
        if (encoder.Tokenizer is Loom.Tokenization.BertWordPieceTokenizer wordPiece) return wordPiece.IdToToken(id);
        if (encoder.Tokenizer is Microsoft.ML.Tokenizers.BertTokenizer bert)
        {
            if (id == bert.ClassificationTokenId) return bert.ClassificationToken;
            if (id == bert.SeparatorTokenId) return bert.SeparatorToken;
        }
        return encoder.Tokenizer.Decode([id]) ?? id.ToString();
    }
}

/// <summary>The attention heatmap: rows are the attending tokens (top to bottom), columns the tokens attended to.</summary>
internal static class AttentionPlot
{
    public static void Save(string path, string[] tokens, double[,] weights, string title)
    {
        int n = tokens.Length;
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(weights);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        // Heatmap cell (row i, column j) is centred on x = j, y = n - 1 - i.
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, tokens);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => n - 1 - p).ToArray(), tokens);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 60;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.Bottom.Label.Text = "attended to";
        plot.Axes.Left.Label.Text = "attending token";
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Title(title);
        int size = Math.Clamp(140 + 28 * n, 480, 1400);
        var temporary = $"{path}.{Environment.ProcessId}.tmp.png";
        plot.SavePng(temporary, size + 120, size);
        File.Move(temporary, path, overwrite: true);
    }
}
