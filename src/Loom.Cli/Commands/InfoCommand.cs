using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Loom.Formats;
using Loom.Models.Bert;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loom.Cli.Commands;

/// <summary><c>loom info MODEL [--json] [--all]</c>: what a model file or folder holds — architecture, hyper-parameters,
/// tensors, bytes per type, metadata and tokenizer.</summary>
internal static class InfoCommand
{
    private const int TensorRowsShown = 30;

    public static Command Create()
    {
        var model = new Argument<string>("model")
        {
            Description = "minilm or arctic-xs (the packaged default models), a GGUF, safetensors or ONNX file, a model.safetensors.index.json, or a Hugging Face model folder",
        };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of tables" };
        var all = new Option<bool>("--all") { Description = $"list every tensor (otherwise the first {TensorRowsShown})" };
        var command = new Command("info", "Show what a model file holds: architecture, hyper-parameters, tensors, metadata, tokenizer");
        command.Arguments.Add(model);
        command.Options.Add(json);
        command.Options.Add(all);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            ModelSummary summary;
            try
            {
                summary = Read(parseResult.GetValue(model)!);
            }
            catch (Exception e) when (e is ModelFormatException or FileNotFoundException or IOException)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"loom info: {e.Message}");
                return 1;
            }
            if (parseResult.GetValue(json)) output.WriteLine(ToJson(summary));
            else Render(summary, parseResult.GetValue(all), output);
            return 0;
        });
        return command;
    }

    /// <summary>Turns the argument into a summary: a default model's name ("minilm", "arctic-xs"), or a file or folder.</summary>
    internal static ModelSummary Read(string source) =>
        DefaultModels.IsDefaultModelName(source) && !Path.Exists(source) ? BertSummary.ForDefaultModel(source) : ModelSummary.Read(source);

    internal static string ToJson(ModelSummary s)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("source", s.Source);
            w.WriteString("format", s.Format);
            w.WriteString("architecture", s.Architecture);
            w.WriteString("name", s.Name);
            w.WriteNumber("parameterCount", s.ParameterCount);
            w.WriteNumber("tensorBytes", s.TensorBytes);
            WriteObject(w, "hyperParameters", s.HyperParameters);
            w.WriteStartObject("bytesPerType");
            foreach (var (type, bytes) in s.BytesPerType) w.WriteNumber(type, bytes);
            w.WriteEndObject();
            if (s.Tokenizer is { } t)
            {
                w.WriteStartObject("tokenizer");
                w.WriteString("model", t.Model);
                if (t.VocabSize is int v) w.WriteNumber("vocabSize", v);
                else w.WriteNull("vocabSize");
                WriteObject(w, "specialTokens", t.SpecialTokens);
                w.WriteEndObject();
            }
            else w.WriteNull("tokenizer");
            w.WriteBoolean("hasChatTemplate", s.HasChatTemplate);
            WriteObject(w, "metadata", s.Metadata);
            w.WriteStartArray("tensors");
            foreach (var tensor in s.Tensors)
            {
                w.WriteStartObject();
                w.WriteString("name", tensor.Name);
                w.WriteStartArray("shape");
                foreach (long d in tensor.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteString("type", tensor.Type);
                w.WriteNumber("elements", tensor.ElementCount);
                w.WriteNumber("bytes", tensor.Bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteObject(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in pairs) w.WriteString(key, value);
        w.WriteEndObject();
    }

    internal static void Render(ModelSummary s, bool allTensors, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });

        var overview = Table("Model", "");
        overview.ShowHeaders = false;
        Row(overview, "Source", s.Source);
        Row(overview, "Format", s.Format);
        if (s.Architecture is not null) Row(overview, "Architecture", s.Architecture);
        if (s.Name is not null) Row(overview, "Name", s.Name);
        Row(overview, "Parameters", $"{Scaled(s.ParameterCount, 1000, ["", " K", " M", " B", " T"])} ({s.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)})");
        Row(overview, "Tensor data", Bytes(s.TensorBytes));
        if (s.Tokenizer is { } t)
            Row(overview, "Tokenizer", $"{t.Model ?? "?"}, {(t.VocabSize is int v ? v.ToString("N0", CultureInfo.InvariantCulture) : "?")} tokens"
                + (t.SpecialTokens.Count > 0 ? "; " + string.Join(", ", t.SpecialTokens.Select(p => $"{p.Key} {p.Value}")) : ""));
        Row(overview, "Chat template", s.HasChatTemplate ? "present" : "absent");
        console.Write(overview);

        if (s.HyperParameters.Count > 0)
        {
            var hyper = Table("Hyper-parameter", "Value");
            foreach (var (key, value) in s.HyperParameters) Row(hyper, key, value);
            console.Write(hyper);
        }

        if (s.Tensors.Count > 0)
        {
            var types = Table("Type", "Tensors", "Bytes", "Share");
            foreach (var (type, bytes) in s.BytesPerType)
                Row(types, type, s.Tensors.Count(x => x.Type == type).ToString(CultureInfo.InvariantCulture), Bytes(bytes),
                    s.TensorBytes == 0 ? "-" : (bytes / (double)s.TensorBytes).ToString("P1", CultureInfo.InvariantCulture));
            console.Write(types);

            var tensors = Table("Tensor", "Shape", "Type", "Bytes");
            foreach (var x in allTensors ? s.Tensors : s.Tensors.Take(TensorRowsShown))
                Row(tensors, x.Name, "[" + string.Join(", ", x.Shape) + "]", x.Type, Bytes(x.Bytes));
            if (!allTensors && s.Tensors.Count > TensorRowsShown)
                tensors.Caption = new TableTitle($"{s.Tensors.Count - TensorRowsShown} more tensors; --all lists them");
            console.Write(tensors);
        }

        if (s.Metadata.Count > 0)
        {
            var metadata = Table("Metadata", "Value");
            foreach (var (key, value) in s.Metadata) Row(metadata, key, value);
            console.Write(metadata);
        }
    }

    private static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string c in columns) table.AddColumn(new TableColumn(new Text(c, new Style(decoration: Decoration.Bold))));
        return table;
    }

    /// <summary>Cells are plain text: names and values come from the file and must not be read as markup.</summary>
    private static void Row(Table table, params string[] cells) => table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());

    private static string Bytes(long bytes) => Scaled(bytes, 1024, [" B", " KiB", " MiB", " GiB", " TiB"]);

    private static string Scaled(long value, double step, string[] units)
    {
        double v = value;
        int unit = 0;
        while (v >= step && unit < units.Length - 1)
        {
            v /= step;
            unit++;
        }
        return unit == 0 ? $"{value}{units[0]}" : v.ToString("0.0", CultureInfo.InvariantCulture) + units[unit];
    }
}
