using System.Diagnostics;
using System.Text.Json;

namespace Loom.Tests.Tokenization;

/// <summary>
/// The real sentencepiece 0.1.97 (Debian's <c>spm_train</c> and <c>python3-sentencepiece</c>): trains small .model
/// files and encodes/decodes texts with them, so expected ids never come from Loom.
/// </summary>
internal static class SentencePieceReference
{
    private const string Python = "/usr/bin/python3";

    // Reads JSON lines of texts; writes one JSON line per text: [ids, decode(ids)].
    private const string EncodeScript = """
        import json, sys
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
        with open(sys.argv[2], encoding='utf-8') as f:
            texts = [json.loads(line) for line in f]
        ids = sp.encode(texts)
        decoded = sp.decode(ids)
        with open(sys.argv[3], 'w', encoding='utf-8') as out:
            out.writelines(json.dumps([i, d]) + '\n' for i, d in zip(ids, decoded))
        """;

    /// <summary>Trains <paramref name="name"/>.model in <paramref name="directory"/> on <paramref name="corpus"/> with the given spm_train flags.</summary>
    public static string Train(string directory, string name, string corpus, params string[] flags)
    {
        var prefix = Path.Combine(directory, name);
        Run("spm_train", [$"--input={corpus}", $"--model_prefix={prefix}", "--minloglevel=2", .. flags]);
        return prefix + ".model";
    }

    /// <summary>sentencepiece's ids for each text, and its decoding of those ids.</summary>
    public static (int[] Ids, string Decoded)[] Encode(string model, IReadOnlyList<string> texts)
    {
        var directory = Path.GetDirectoryName(model)!;
        var id = Guid.NewGuid().ToString("N");
        string script = Path.Combine(directory, $"encode-{id}.py"), input = Path.Combine(directory, $"texts-{id}.jsonl"), output = Path.Combine(directory, $"ids-{id}.jsonl");
        File.WriteAllText(script, EncodeScript);
        File.WriteAllLines(input, texts.Select(t => JsonSerializer.Serialize(t)));
        Run(Python, [script, model, input, output]);
        return [.. File.ReadLines(output).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            return (json.RootElement[0].EnumerateArray().Select(e => e.GetInt32()).ToArray(), json.RootElement[1].GetString()!);
        })];
    }

    private static void Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} exited {process.ExitCode} (apt-get install sentencepiece python3-sentencepiece): {error.Result}");
    }
}
