using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Loom.Tokenization;

/// <summary>Settings of <see cref="ByteLevelBpeTrainer"/>.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Final vocabulary size: special tokens + the 256 byte symbols + merges.</summary>
    public int VocabularySize { get; init; } = 8000;

    /// <summary>A pair seen fewer times is never merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Tokens given the first ids, never split (e.g. "&lt;|endoftext|&gt;").</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<|endoftext|>"];

    /// <summary>Threads for pre-tokenization and counting.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>Training progress: merges learnt so far of those wanted.</summary>
public readonly record struct BpeTrainerProgress(int Merges, int TargetMerges);

/// <summary>
/// Trains a GPT-2 style byte-level BPE (GPT-2 pre-tokenizer regex, bytes as 256 base symbols, greedy most-frequent-pair
/// merges) and writes it as a Hugging Face tokenizer.json, which <see cref="TokenizerJsonLoader"/> and HF tokenizers read.
/// </summary>
public static class ByteLevelBpeTrainer
{
    private static readonly Regex Gpt2 = new(TokenizerJsonLoader.Gpt2Pattern, RegexOptions.Compiled);

    /// <summary>Trains on <paramref name="texts"/> and writes tokenizer.json to <paramref name="path"/>.</summary>
    public static void Train(IEnumerable<string> texts, string path, BpeTrainerOptions? options = null,
        IProgress<BpeTrainerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new BpeTrainerOptions();
        if (options.VocabularySize < options.SpecialTokens.Count + 256)
            throw new ArgumentOutOfRangeException(nameof(options), $"VocabularySize must hold the {options.SpecialTokens.Count} special tokens and 256 bytes");
        if (options.MinFrequency < 1 || options.Threads < 1) throw new ArgumentOutOfRangeException(nameof(options), "MinFrequency and Threads must be positive");
        var words = CountWords(texts, options.Threads, cancellationToken);
        var (vocabulary, merges) = Learn(words, options, progress, cancellationToken);
        Write(path, vocabulary, merges, options.SpecialTokens);
    }

    /// <summary>Word (as byte symbols) → count, pre-tokenized in parallel.</summary>
    private static Dictionary<string, long> CountWords(IEnumerable<string> texts, int threads, CancellationToken cancellationToken)
    {
        var partial = new ConcurrentBag<Dictionary<string, long>>();
        Parallel.ForEach(texts, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (text, _, counts) =>
            {
                // Counted by their text without allocating a string per occurrence; converted to bytes once per word.
                var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
                foreach (var match in Gpt2.EnumerateMatches(text))
                {
                    var word = text.AsSpan(match.Index, match.Length);
                    lookup[word] = lookup.TryGetValue(word, out long count) ? count + 1 : 1;
                }
                return counts;
            },
            partial.Add);
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var counts in partial)
            foreach (var (word, count) in counts)
            {
                var symbols = ByteLevel.Encode(word);
                total[symbols] = total.GetValueOrDefault(symbols) + count;
            }
        return total;
    }

    private static (List<string> Vocabulary, List<(string Left, string Right)> Merges) Learn(Dictionary<string, long> wordCounts,
        BpeTrainerOptions options, IProgress<BpeTrainerProgress>? progress, CancellationToken cancellationToken)
    {
        var symbols = new List<string>(ByteLevel.Alphabet);
        var byteIds = symbols.Select((s, i) => (s, i)).ToDictionary(e => e.s[0], e => e.i);
        var words = wordCounts.Keys.Select(w => w.Select(c => byteIds[c]).ToList()).ToArray();
        var merges = BpeMergeLearner.Learn(symbols, words, wordCounts.Values.ToArray(),
            options.VocabularySize - options.SpecialTokens.Count - symbols.Count, options.MinFrequency,
            string.Concat, progress, cancellationToken);
        return ([.. options.SpecialTokens, .. symbols], merges.Select(m => (m.Left, m.Right)).ToList());
    }

    private static void Write(string path, List<string> vocabulary, List<(string Left, string Right)> merges, IReadOnlyList<string> special)
    {
        TokenizerJsonWriter.Write(path, special.Select((token, id) => (id, token)), json =>
        {
            json.WriteNull("normalizer");
            void ByteLevelStage(string name)
            {
                json.WriteStartObject(name);
                json.WriteString("type", "ByteLevel");
                json.WriteBoolean("add_prefix_space", false);
                json.WriteBoolean("trim_offsets", true);
                json.WriteBoolean("use_regex", true);
                json.WriteEndObject();
            }
            ByteLevelStage("pre_tokenizer");
            ByteLevelStage("post_processor");
            ByteLevelStage("decoder");
            json.WriteStartObject("model");
            json.WriteString("type", "BPE");
            json.WriteNull("dropout");
            json.WriteNull("unk_token");
            json.WriteString("continuing_subword_prefix", "");
            json.WriteString("end_of_word_suffix", "");
            json.WriteBoolean("fuse_unk", false);
            json.WriteBoolean("byte_fallback", false);
            json.WriteBoolean("ignore_merges", false);
            json.WriteStartObject("vocab");
            for (int i = 0; i < vocabulary.Count; i++) json.WriteNumber(vocabulary[i], i);
            json.WriteEndObject();
            json.WriteStartArray("merges");
            foreach (var (left, right) in merges) json.WriteStringValue($"{left} {right}");
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }
}
