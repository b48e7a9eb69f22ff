using System.Collections.Concurrent;
using System.Text.Json;

namespace Loom.Tokenization;

/// <summary>Settings of <see cref="WordPieceTrainer"/>.</summary>
public sealed record WordPieceTrainerOptions
{
    /// <summary>Final vocabulary size, special tokens and the alphabet included.</summary>
    public int VocabularySize { get; init; } = 30000;

    /// <summary>A pair seen fewer times is never merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Normalisation (and the special tokens' names) of the BERT tokenizer being trained.</summary>
    public BertTokenizerOptions Bert { get; init; } = new();

    /// <summary>Threads for normalisation, pre-tokenization and counting.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Trains a BERT WordPiece vocabulary as Hugging Face's WordPiece trainer does — BPE merges over the words that
/// BertNormalizer + BertPreTokenizer produce, continuation pieces marked "##" — and writes a tokenizer.json
/// (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]) that Loom and HF tokenizers both read.
/// </summary>
public static class WordPieceTrainer
{
    public static void Train(IEnumerable<string> texts, string path, WordPieceTrainerOptions? options = null,
        IProgress<BpeTrainerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new WordPieceTrainerOptions();
        var bert = options.Bert;
        string prefix = bert.ContinuingSubwordPrefix;
        var special = new[] { bert.PaddingToken, bert.UnknownToken, bert.ClassificationToken, bert.SeparatorToken, bert.MaskingToken }.Distinct().ToList();
        var counts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        Parallel.ForEach(texts, new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = cancellationToken },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (text, _, local) =>
            {
                foreach (var word in BertWordPieceTokenizer.Words(text, bert)) local[word] = local.GetValueOrDefault(word) + 1;
                return local;
            },
            local => { foreach (var (word, count) in local) counts.AddOrUpdate(word, count, (_, c) => c + count); });

        // The alphabet: each character as a word start and as a "##" continuation, most frequent first.
        var symbols = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Symbol(string s)
        {
            if (!ids.TryGetValue(s, out int id)) { id = symbols.Count; symbols.Add(s); ids[s] = id; }
            return id;
        }
        var wordList = counts.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).ToArray();
        var words = wordList.Select(e =>
        {
            var pieces = new List<int>();
            for (int i = 0; i < e.Key.Length;)
            {
                int length = char.IsHighSurrogate(e.Key[i]) && i + 1 < e.Key.Length ? 2 : 1;
                pieces.Add(Symbol(i == 0 ? e.Key.Substring(i, length) : prefix + e.Key.Substring(i, length)));
                i += length;
            }
            return pieces;
        }).ToArray();
        int alphabet = symbols.Count;
        BpeMergeLearner.Learn(symbols, words, wordList.Select(e => e.Value).ToArray(),
            Math.Max(0, options.VocabularySize - special.Count - alphabet), options.MinFrequency,
            (left, right) => left + right[prefix.Length..], progress, cancellationToken);
        var vocabulary = special.Concat(symbols.Where(s => !special.Contains(s))).Take(Math.Max(options.VocabularySize, special.Count + alphabet)).ToList();
        Write(path, vocabulary, bert, special);
    }

    private static void Write(string path, List<string> vocabulary, BertTokenizerOptions bert, List<string> special)
    {
        TokenizerJsonWriter.Write(path, special.Select(token => (vocabulary.IndexOf(token), token)), json =>
        {
            json.WriteStartObject("normalizer");
            json.WriteString("type", "BertNormalizer");
            json.WriteBoolean("clean_text", bert.CleanText);
            json.WriteBoolean("handle_chinese_chars", bert.HandleChineseCharacters);
            if (bert.StripAccents is bool strip) json.WriteBoolean("strip_accents", strip); else json.WriteNull("strip_accents");
            json.WriteBoolean("lowercase", bert.LowerCase);
            json.WriteEndObject();
            json.WriteStartObject("pre_tokenizer");
            json.WriteString("type", "BertPreTokenizer");
            json.WriteEndObject();
            json.WriteStartObject("post_processor");
            json.WriteString("type", "BertProcessing");
            json.WriteStartArray("sep");
            json.WriteStringValue(bert.SeparatorToken);
            json.WriteNumberValue(vocabulary.IndexOf(bert.SeparatorToken));
            json.WriteEndArray();
            json.WriteStartArray("cls");
            json.WriteStringValue(bert.ClassificationToken);
            json.WriteNumberValue(vocabulary.IndexOf(bert.ClassificationToken));
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("decoder");
            json.WriteString("type", "WordPiece");
            json.WriteString("prefix", bert.ContinuingSubwordPrefix);
            json.WriteBoolean("cleanup", true);
            json.WriteEndObject();
            json.WriteStartObject("model");
            json.WriteString("type", "WordPiece");
            json.WriteString("unk_token", bert.UnknownToken);
            json.WriteString("continuing_subword_prefix", bert.ContinuingSubwordPrefix);
            json.WriteNumber("max_input_chars_per_word", bert.MaxInputCharsPerWord);
            json.WriteStartObject("vocab");
            for (int i = 0; i < vocabulary.Count; i++) json.WriteNumber(vocabulary[i], i);
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }
}
