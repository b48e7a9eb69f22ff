using System.Text;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Loom.Embeddings;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary><c>loom embed "text" | --file lines.txt [--model minilm|arctic-xs|DIR] [--out file.npy|.f32|.jsonl] [--stats]</c>.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var text = new Argument<string?>("text") { Description = "Text to embed (or use --file)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<FileInfo?>("--file") { Description = "Embed every non-empty line of this file" };
        var model = new Option<string>("--model") { Description = "minilm, arctic-xs, an .onnx file or a model folder", DefaultValueFactory = _ => "minilm" };
        var output = new Option<FileInfo?>("--out") { Description = "Write embeddings to .npy, .f32 (raw little-endian) or .jsonl; default: JSON lines on stdout" };
        var batch = new Option<int>("--batch-size") { Description = "Sentences per forward pass", DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate texts to this many tokens (default: the model's)" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var weights = new Option<string?>("--weights") { Description = "Store the linear layers as f32 (default), f16 or q8_0 (int8 with per-block scales)" };
        var stats = new Option<bool>("--stats") { Description = "Print one JSON line of throughput statistics on stderr" };
        var command = new Command("embed", "Sentence embeddings from an encoder model");
        command.Arguments.Add(text);
        foreach (var option in new Option[] { file, model, output, batch, maxLength, threads, weights, stats }) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) =>
        {
            string? single = parse.GetValue(text);
            var input = parse.GetValue(file);
            if ((single is null) == (input is null)) return Task.FromResult(EncoderCli.Fail("give either a text or --file, not both"));
            if (input is not null && !input.Exists) return Task.FromResult(EncoderCli.Fail($"no such file: {input.FullName}"));
            var target = parse.GetValue(output);
            string format = target is null ? ".jsonl" : target.Extension.ToLowerInvariant();
            if (format is not (".npy" or ".f32" or ".jsonl")) return Task.FromResult(EncoderCli.Fail($"--out must end in .npy, .f32 or .jsonl, not '{format}'"));
            if (parse.GetValue(batch) <= 0) return Task.FromResult(EncoderCli.Fail("--batch-size must be positive"));
            if (!TryParseWeights(parse.GetValue(weights), out var weightType)) return Task.FromResult(EncoderCli.Fail("--weights must be f32, f16 or q8_0"));
            var texts = input is null ? [single!] : File.ReadLines(input.FullName).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
            if (texts.Length == 0) return Task.FromResult(EncoderCli.Fail("the file has no non-empty lines"));

            return EncoderCli.Guard(() =>
            {
                var options = new SentenceEncoderOptions { BatchSize = parse.GetValue(batch), MaxLength = parse.GetValue(maxLength), Threads = parse.GetValue(threads), WeightType = weightType };
                using var encoder = SentenceEncoder.Create(parse.GetValue(model)!, options);
                var clock = Stopwatch.StartNew();
                float[][] vectors = input is null
                    ? encoder.Embed(texts, null, cancellationToken)
                    : EncoderCli.Stderr.Progress().Start(context =>
                    {
                        var task = context.AddTask("embedding", maxValue: texts.Length);
                        return encoder.Embed(texts, new ProgressBar(task), cancellationToken);
                    });
                double seconds = clock.Elapsed.TotalSeconds;
                if (target is null) EmbeddingFiles.WriteJsonLines(Console.Out, texts, vectors);
                else EmbeddingFiles.Write(target.FullName, texts, vectors);
                if (encoder.TruncatedCount > 0) Console.Error.WriteLine($"warning: {encoder.TruncatedCount} texts were longer than {encoder.MaxLength} tokens and were truncated");
                if (parse.GetValue(stats))
                    Console.Error.WriteLine(JsonSerializer.Serialize(new
                    {
                        sentences = texts.Length,
                        tokens = encoder.TokenCount,
                        seconds = Math.Round(seconds, 4),
                        sentences_per_s = Math.Round(texts.Length / seconds, 2),
                        weights = encoder.Model.LinearWeightType.ToString(),
                        threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads,
                        peak_mb = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
                        truncated = encoder.TruncatedCount,
                        model = encoder.Metadata.DefaultModelId,
                    }));
                return 0;
            });
        });
        return command;
    }

    /// <summary>Moves the bar on the calling thread (Progress&lt;T&gt; would post late updates after the bar is done).</summary>
    private sealed class ProgressBar(ProgressTask task) : IProgress<int>
    {
        public void Report(int value) => task.Value = value;
    }

    private static bool TryParseWeights(string? text, out Loom.Tensors.GgmlType? type)
    {
        (bool ok, type) = text?.ToLowerInvariant() switch
        {
            null or "f32" => (true, (Loom.Tensors.GgmlType?)null),
            "f16" => (true, Loom.Tensors.GgmlType.F16),
            "q8_0" => (true, Loom.Tensors.GgmlType.Q8_0),
            _ => (false, null),
        };
        return ok;
    }
}

/// <summary>Writes embeddings as .npy (float32, [n × d]), .f32 (raw little-endian) or .jsonl, through a temporary file
/// renamed into place so that an interrupted run leaves no half-written output.</summary>
internal static class EmbeddingFiles
{
    public static void Write(string path, IReadOnlyList<string> texts, float[][] vectors)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = File.Create(temporary))
            {
                switch (Path.GetExtension(path).ToLowerInvariant())
                {
                    case ".npy": WriteNpyHeader(stream, vectors.Length, vectors.Length == 0 ? 0 : vectors[0].Length); WriteFloats(stream, vectors); break;
                    case ".f32": WriteFloats(stream, vectors); break;
                    default:
                        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true)) WriteJsonLines(writer, texts, vectors);
                        break;
                }
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public static void WriteJsonLines(TextWriter writer, IReadOnlyList<string> texts, float[][] vectors)
    {
        for (int i = 0; i < vectors.Length; i++)
            writer.WriteLine(JsonSerializer.Serialize(new { text = texts[i], embedding = vectors[i] }));
    }

    private static void WriteFloats(Stream stream, float[][] vectors)
    {
        foreach (var v in vectors) stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
    }

    // NPY 1.0: magic, version, header length (u16), then a Python dict literal padded with spaces to a multiple of 64 bytes.
    private static void WriteNpyHeader(Stream stream, int rows, int cols)
    {
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}";
        int total = 10 + dict.Length + 1;
        int padding = (64 - total % 64) % 64;
        string header = dict + new string(' ', padding) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
    }
}
