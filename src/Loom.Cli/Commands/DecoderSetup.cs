using System.Diagnostics;
using System.Globalization;
using Loom.Formats;
using Loom.Generation;
using Loom.Models;
using Loom.Models.Gpt2;
using Loom.Models.Llama;

namespace Loom.Cli.Commands;

/// <summary>What <c>generate</c> and <c>next-token</c> share: loading a GGUF decoder and reading the prompt.</summary>
internal sealed class DecoderSetup : IDisposable
{
    private readonly GgufFile _file;

    private DecoderSetup(GgufFile file, ICausalLanguageModel model, GgufTokenBytes? vocabulary, int? endToken, TimeSpan loadTime)
    {
        _file = file;
        Model = model;
        Vocabulary = vocabulary;
        EndToken = endToken;
        LoadTime = loadTime;
    }

    public ICausalLanguageModel Model { get; }
    public GgufTokenBytes? Vocabulary { get; }
    public int? EndToken { get; }
    public TimeSpan LoadTime { get; }

    /// <exception cref="ModelFormatException">Not a GGUF decoder Loom can run.</exception>
    public static DecoderSetup Load(string path, int threads)
    {
        var clock = Stopwatch.StartNew();
        var file = GgufFile.Open(path);
        try
        {
            ICausalLanguageModel model = file.Metadata.TryGetString("general.architecture", out var arch) && arch == "gpt2"
                ? Gpt2Model.FromGguf(file, threads)
                : LlamaModel.FromGguf(file, threads);
            var vocabulary = GgufTokenBytes.FromGguf(file);
            int? end = file.Metadata.TryGetUInt32("tokenizer.ggml.eos_token_id", out uint eos) ? (int)eos : null;
            return new DecoderSetup(file, model, vocabulary, end, clock.Elapsed);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The prompt's token ids from <c>--tokens 1,2,3</c>; text prompts need a tokenizer loader for GGUF vocabularies.</summary>
    public static int[] PromptTokens(string? text, string? tokens)
    {
        if (tokens is null)
            throw new ArgumentException(text is null
                ? "give the prompt as --tokens 1,2,3"
                : "text prompts need the model's tokenizer, which Loom cannot yet load from GGUF; pass --tokens 1,2,3");
        try
        {
            return tokens.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--tokens must be comma-separated token ids, not '{tokens}'");
        }
    }

    public void Dispose() => _file.Dispose();
}
