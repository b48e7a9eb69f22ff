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
                foreach (Match match in Gpt2.Matches(text))
                {
                    var word = ByteLevel.Encode(match.ValueSpan);
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
                return counts;
            },
            partial.Add);
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var counts in partial)
            foreach (var (word, count) in counts) total[word] = total.GetValueOrDefault(word) + count;
        return total;
    }

    private static (List<string> Vocabulary, List<(string Left, string Right)> Merges) Learn(Dictionary<string, long> wordCounts,
        BpeTrainerOptions options, IProgress<BpeTrainerProgress>? progress, CancellationToken cancellationToken)
    {
        var vocabulary = new List<string>(options.SpecialTokens);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var symbol in ByteLevel.Alphabet) { ids[symbol] = vocabulary.Count; vocabulary.Add(symbol); }
        var symbolOf = new List<string>(ByteLevel.Alphabet); // symbol id → text (ids offset by the special tokens)
        var words = wordCounts.Select(w => w.Key.Select(c => ids[c.ToString()] - options.SpecialTokens.Count).ToList()).ToArray();
        var counts = wordCounts.Values.ToArray();
        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        // Most frequent pair first; ties to the lower symbol ids, so training is deterministic. Entries go stale when a
        // count changes: the current count is pushed again and stale ones are skipped when popped.
        var queue = new PriorityQueue<(int, int), (long, int, int)>();
        var touched = new HashSet<(int, int)>();
        for (int w = 0; w < words.Length; w++) AddPairs(w, +1);
        foreach (var (pair, count) in pairCounts) queue.Enqueue(pair, (-count, pair.Item1, pair.Item2));
        touched.Clear();
        int target = options.VocabularySize - vocabulary.Count;
        var merges = new List<(string, string)>();
        while (merges.Count < target && queue.TryDequeue(out var pair, out var priority))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!pairCounts.TryGetValue(pair, out long current) || current != -priority.Item1) continue;
            if (current < options.MinFrequency) break;
            var (left, right) = pair;
            string merged = symbolOf[left] + symbolOf[right];
            int newId = symbolOf.Count;
            symbolOf.Add(merged);
            vocabulary.Add(merged);
            merges.Add((symbolOf[left], symbolOf[right]));
            foreach (int w in pairWords[pair].ToArray())
            {
                AddPairs(w, -1);
                var word = words[w];
                for (int i = 0; i + 1 < word.Count; i++)
                    if (word[i] == left && word[i + 1] == right) { word[i] = newId; word.RemoveAt(i + 1); }
                AddPairs(w, +1);
            }
            foreach (var changed in touched)
                if (pairCounts.TryGetValue(changed, out long count)) queue.Enqueue(changed, (-count, changed.Item1, changed.Item2));
            touched.Clear();
            if (merges.Count % 100 == 0) progress?.Report(new(merges.Count, target));
        }
        progress?.Report(new(merges.Count, target));
        return (vocabulary, merges);

        void AddPairs(int w, int sign)
        {
            var word = words[w];
            for (int i = 0; i + 1 < word.Count; i++)
            {
                var pair = (word[i], word[i + 1]);
                touched.Add(pair);
                long count = pairCounts.GetValueOrDefault(pair) + sign * counts[w];
                if (count <= 0) { pairCounts.Remove(pair); pairWords.Remove(pair); continue; }
                pairCounts[pair] = count;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                    set.Add(w);
                }
            }
        }
    }

    private static void Write(string path, List<string> vocabulary, List<(string Left, string Right)> merges, IReadOnlyList<string> special)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = File.Create(temporary))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            json.WriteStartArray("added_tokens");
            for (int i = 0; i < special.Count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("id", i);
                json.WriteString("content", special[i]);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
            json.WriteEndArray();
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
            json.WriteEndObject();
        }
        File.Move(temporary, path, overwrite: true);
    }
}
