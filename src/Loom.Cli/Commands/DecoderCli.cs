using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Loom.Formats;
using Loom.Generation;
using Loom.Models.Decoder;
using Loom.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Loom.Cli.Commands;

/// <summary>
/// What `loom generate`, `loom next-token` share: the model, its prompt as token ids, the text of a token and the
/// end-of-sequence ids. A GGUF's own vocabulary shows tokens, and tokenizes text when it is byte-level BPE (GPT-2,
/// Llama 3, Qwen2) or SentencePiece (Llama 2, Mistral); otherwise text needs a tokenizer.json (a Hugging Face folder has one; for a GGUF pass --tokenizer)
/// or ids given with --tokens.
/// </summary>
internal sealed class DecoderCli : IDisposable
{
    private readonly string[]? _pieces;
    private readonly bool _byteLevel;

    private DecoderCli(DecoderModel model, Tokenizer? tokenizer, string[]? pieces, bool byteLevel, int[] endTokens, TimeSpan loadTime, ChatSettings chat)
    {
        Chat = chat;
        Model = model;
        Tokenizer = tokenizer;
        _pieces = pieces;
        _byteLevel = byteLevel;
        EndTokens = endTokens;
        LoadTime = loadTime;
    }

    public DecoderModel Model { get; }
    public Tokenizer? Tokenizer { get; }
    public int[] EndTokens { get; }
    public TimeSpan LoadTime { get; }

    /// <summary>The chat template and special-token texts the model ships (GGUF metadata or tokenizer_config.json).</summary>
    public ChatSettings Chat { get; }

    public sealed record ChatSettings(string? Template, string BosToken, string EosToken);

    public static Option<int> ThreadsOption() => new("--threads") { Description = "Worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
    public static Option<string?> TokensOption() => new("--tokens") { Description = "Feed these comma-separated token ids instead of a text prompt" };
    public static Option<string?> TokenizerOption() => new("--tokenizer") { Description = "tokenizer.json (or folder) for text prompts; default: the model folder's" };

    public static DecoderCli Open(string path, int threads, string? tokenizerPath)
    {
        var clock = Stopwatch.StartNew();
        var model = DecoderModel.Load(path, new DecoderOptions { Threads = threads });
        try
        {
            Tokenizer? tokenizer = null;
            string? tokenizerProblem = null;
            if (tokenizerPath is not null) tokenizer = TokenizerResolver.Resolve(tokenizerPath);
            else if (Directory.Exists(path) && File.Exists(Path.Combine(path, "tokenizer.json"))) tokenizer = TokenizerResolver.Resolve(path);
            else if (File.Exists(path)) tokenizer = TryGgufTokenizer(path, out tokenizerProblem);

            string[]? pieces = null;
            bool byteLevel = false;
            var ends = new List<int>();
            ChatSettings chat;
            if (Directory.Exists(path))
            {
                string config = Path.Combine(path, "config.json");
                ends.AddRange(HuggingFaceConfig.Load(config).EosTokenIds);
                chat = ReadTokenizerConfig(Path.Combine(path, "tokenizer_config.json"));
            }
            else
            {
                using var gguf = GgufFile.Open(path);
                var metadata = gguf.Metadata;
                if (metadata.TryGetArray<string>("tokenizer.ggml.tokens", out var tokens)) pieces = tokens;
                byteLevel = metadata.TryGetString("tokenizer.ggml.model", out var kind) && kind == "gpt2";
                if (metadata.TryGetUInt32("tokenizer.ggml.eos_token_id", out uint eos)) ends.Add((int)eos);
                if (metadata.TryGetUInt32("tokenizer.ggml.eot_token_id", out uint eot)) ends.Add((int)eot);
                string Piece(string key) => metadata.TryGetUInt32(key, out uint id) && pieces is not null && id < pieces.Length ? pieces[id] : "";
                chat = new ChatSettings(metadata.TryGetString("tokenizer.chat_template", out var template) ? template : null,
                    Piece("tokenizer.ggml.bos_token_id"), Piece("tokenizer.ggml.eos_token_id"));
            }
            return new DecoderCli(model, tokenizer, pieces, byteLevel, [.. ends.Distinct()], clock.Elapsed, chat) { TokenizerProblem = tokenizerProblem };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Why the model's own vocabulary could not be used as a tokenizer, when it could not.</summary>
    private string? TokenizerProblem { get; init; }

    /// <summary>The GGUF's own vocabulary as a tokenizer (byte-level BPE and SentencePiece vocabularies), or null with the reason.</summary>
    private static Tokenizer? TryGgufTokenizer(string path, out string? problem)
    {
        try
        {
            problem = null;
            return TokenizerResolver.Resolve(path);
        }
        catch (ModelFormatException e)
        {
            problem = $"the model's own vocabulary cannot tokenize text ({e.Problem})";
            return null;
        }
    }

    /// <summary>The prompt's ids: --tokens as given, or the text through the tokenizer.</summary>
    public int[] PromptIds(string? text, string? tokens)
    {
        if (tokens is not null)
        {
            var ids = tokens.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, out int id) ? id : throw new ArgumentException($"--tokens: '{t}' is not a token id")).ToArray();
            foreach (int id in ids)
                if ((uint)id >= (uint)Model.VocabularySize) throw new ArgumentException($"--tokens: {id} is outside the vocabulary of {Model.VocabularySize}");
            return ids.Length > 0 ? ids : throw new ArgumentException("--tokens holds no ids");
        }
        if (string.IsNullOrEmpty(text)) throw new ArgumentException("give a prompt, or --tokens");
        if (Tokenizer is null)
            throw new ArgumentException($"{TokenizerProblem ?? "this model has no tokenizer"}: pass --tokenizer tokenizer.json or --tokens 1,2,3");
        return [.. Tokenizer.EncodeToIds(text)];
    }

    /// <summary>A streaming detokenizer: the tokenizer's, else one over the GGUF vocabulary's pieces, else ids in brackets.</summary>
    public Func<StreamingDetokenizer> Detokenizer() =>
        Tokenizer is { } tokenizer ? () => new TokenizerDetokenizer(tokenizer) : () => new ByteDetokenizer(id => TokenBytes(id));

    /// <summary>One token as text, for tables.</summary>
    public string TokenText(int id) =>
        Tokenizer is { } tokenizer ? tokenizer.Decode([id]) ?? "" : Encoding.UTF8.GetString(TokenBytes(id).Span);

    /// <summary>
    /// The bytes of a GGUF vocabulary piece: SentencePiece pieces mark spaces with ▁ and spell raw bytes &lt;0xAB&gt;;
    /// byte-level BPE pieces map each byte to a printable character (GPT-2's table), reversed here.
    /// </summary>
    private ReadOnlyMemory<byte> TokenBytes(int id)
    {
        if (_pieces is null || (uint)id >= (uint)_pieces.Length) return Encoding.UTF8.GetBytes($"[{id}]");
        string piece = _pieces[id];
        if (_byteLevel) return piece.Select(c => ByteLevel.TryGetValue(c, out byte b) ? b : (byte)'?').ToArray();
        if (piece.Length == 6 && piece.StartsWith("<0x") && piece.EndsWith('>') && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte raw))
            return new[] { raw };
        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }

    // GPT-2's byte ↔ printable-character table: printable Latin-1 bytes stand for themselves, the rest shift to U+0100….
    private static readonly Dictionary<char, byte> ByteLevel = BuildByteLevel();

    private static Dictionary<char, byte> BuildByteLevel()
    {
        var map = new Dictionary<char, byte>();
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[printable ? (char)b : (char)(256 + next++)] = (byte)b;
        }
        return map;
    }

    /// <summary>chat_template (a string, or a list of named templates: "default" is taken), bos_token and eos_token.</summary>
    private static ChatSettings ReadTokenizerConfig(string path)
    {
        if (!File.Exists(path)) return new ChatSettings(null, "", "");
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        string Text(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => v.GetString()!,
            System.Text.Json.JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.String => c.GetString()!,
            _ => "",
        } : "";
        string? template = null;
        if (root.TryGetProperty("chat_template", out var t))
        {
            if (t.ValueKind == System.Text.Json.JsonValueKind.String) template = t.GetString();
            else if (t.ValueKind == System.Text.Json.JsonValueKind.Array)
                template = t.EnumerateArray().Where(e => e.TryGetProperty("name", out var n) && n.GetString() == "default")
                    .Select(e => e.GetProperty("template").GetString()).FirstOrDefault();
        }
        return new ChatSettings(template, Text("bos_token"), Text("eos_token"));
    }

    public static int Fail(string command, string reason)
    {
        Console.Error.WriteLine($"loom {command}: {reason}");
        return 1;
    }

    public static bool IsRefusal(Exception e) =>
        e is ArgumentException or IOException or ModelFormatException or System.Text.Json.JsonException or Generation.Templates.TemplateException or UnauthorizedAccessException or NotSupportedException or Models.ContextOverflowException;

    public void Dispose() => Model.Dispose();
}
