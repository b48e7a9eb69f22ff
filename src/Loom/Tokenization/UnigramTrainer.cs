using System.Text;
using System.Text.Json;

namespace Loom.Tokenization;

/// <summary>Settings of <see cref="UnigramTrainer"/>; the defaults are SentencePiece's.</summary>
public sealed record UnigramTrainerOptions
{
    /// <summary>Final vocabulary size: the unknown token, the special tokens and the pieces.</summary>
    public int VocabularySize { get; init; } = 8000;

    /// <summary>The token for characters the vocabulary does not cover; id 0.</summary>
    public string UnknownToken { get; init; } = "<unk>";

    /// <summary>Tokens given the ids after the unknown token, never split (e.g. "&lt;s&gt;", "&lt;/s&gt;").</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>A substring seen fewer times does not enter the seed vocabulary.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>The longest piece, in UTF-16 code units.</summary>
    public int MaxPieceLength { get; init; } = 16;

    /// <summary>How many frequent substrings seed the vocabulary before EM prunes it.</summary>
    public int SeedSize { get; init; } = 1_000_000;

    /// <summary>The share of pieces each pruning round keeps.</summary>
    public double ShrinkingFactor { get; init; } = 0.75;

    /// <summary>EM iterations between pruning rounds.</summary>
    public int SubIterations { get; init; } = 2;

    /// <summary>The most frequent characters making up this share of the text are always in the vocabulary; rarer ones become the unknown token.</summary>
    public double CharacterCoverage { get; init; } = 0.9995;

    /// <summary>Characters always in the vocabulary, whether or not the corpus has them.</summary>
    public string RequiredCharacters { get; init; } = "";

    /// <summary>Threads for pre-tokenization, counting and EM.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>Training progress after an EM iteration: the round (one per pruning), pieces left and the mean negative log-likelihood per word.</summary>
public readonly record struct UnigramTrainerProgress(int Round, int Pieces, double Loss);

/// <summary>
/// Trains a Unigram vocabulary with SentencePiece's algorithm and writes it as a Hugging Face tokenizer.json (Metaspace
/// pre-tokenizer, Unigram model) that <see cref="TokenizerJsonLoader"/> and HF tokenizers read. The words are the
/// Metaspace words the tokenizer will see (spaces → "▁", split before each "▁"; no other normalisation, so feed lines).
/// Seeded with the most frequent substrings (occurrences × length), EM re-estimates piece log-probabilities from expected
/// counts (forward-backward over each word's lattice, with SentencePiece's digamma-smoothed M-step), and each round drops
/// the pieces whose removal costs the corpus likelihood least, until 1.1 × the wanted size is left; the most probable
/// pieces are kept, every covered character included.
/// </summary>
public static class UnigramTrainer
{
    private const char Space = '\u2581';
    private const double UnknownPenalty = 10;   // the unknown token scores this far below the least likely piece (as HF and Loom decode)
    private const double MinExpectedCount = 0.5; // SentencePiece's: pieces expected less often leave the vocabulary

    /// <summary>Trains on <paramref name="texts"/> and writes tokenizer.json to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">options out of range, or a vocabulary too small for the covered characters</exception>
    public static void Train(IEnumerable<string> texts, string path, UnigramTrainerOptions? options = null,
        IProgress<UnigramTrainerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new UnigramTrainerOptions();
        Validate(options);
        var meta = new[] { options.UnknownToken }.Concat(options.SpecialTokens).Distinct().ToList();
        int target = options.VocabularySize - meta.Count;
        var (words, counts) = CountWords(texts, options.Threads, cancellationToken);
        var characters = Characters(words, counts, options);
        if (characters.Count > target)
            throw new ArgumentOutOfRangeException(nameof(options), $"VocabularySize {options.VocabularySize} cannot hold the {meta.Count} special tokens and {characters.Count} characters covered; lower CharacterCoverage or raise VocabularySize");

        // The seed: every covered character (scored by its count) and the frequent substrings (by count × length).
        var covered = characters.Select(c => c.Character).ToHashSet(StringComparer.Ordinal);
        var seeds = UnigramSeeds.Find(words, counts, options.MaxPieceLength, options.MinFrequency, options.SeedSize,
            piece => !meta.Contains(piece) && piece.EnumerateRunes().All(r => covered.Contains(r.ToString())), options.Threads, cancellationToken);
        var pieces = characters.Select(c => c.Character).Concat(seeds.Select(s => s.Piece)).ToList();
        var weights = characters.Select(c => (double)c.Count).Concat(seeds.Select(s => (double)s.Count * s.Piece.Length)).ToArray();
        double logTotal = Math.Log(weights.Sum());
        var scores = weights.Select(w => w > 0 ? Math.Log(w) - logTotal : double.NegativeInfinity).ToArray();
        int characterCount = characters.Count; // characters are pieces 0..characterCount-1 and stay so
        FillUnused(scores, characterCount, scores.Select(double.IsFinite).ToArray());

        var lattices = new UnigramLattices(words, counts, pieces, options.Threads, cancellationToken);
        double wordTotal = counts.Sum();
        int desired = (int)(target * 1.1);
        for (int round = 0; ; round++)
        {
            for (int iteration = 0; iteration < options.SubIterations; iteration++)
            {
                var expected = new double[pieces.Count];
                double logLikelihood = lattices.Expect(scores, UnknownScore(scores), expected, cancellationToken);
                (pieces, scores) = Maximize(pieces, expected, characterCount, lattices, cancellationToken);
                progress?.Report(new(round, pieces.Count, -logLikelihood / wordTotal));
            }
            if (pieces.Count <= desired) break;
            (pieces, scores) = Prune(pieces, scores, characterCount, Math.Max(desired, (int)(options.ShrinkingFactor * pieces.Count)),
                lattices, wordTotal, options, cancellationToken);
        }

        // The characters and the most probable other pieces, written most probable first.
        var final = Enumerable.Range(0, characterCount)
            .Concat(Enumerable.Range(characterCount, pieces.Count - characterCount).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(target - characterCount))
            .OrderByDescending(i => scores[i]).ThenBy(i => pieces[i], StringComparer.Ordinal)
            .Select(i => (pieces[i], scores[i])).ToList();
        Write(path, meta, final);
    }

    private static void Validate(UnigramTrainerOptions options)
    {
        if (options.MinFrequency < 1 || options.Threads < 1 || options.MaxPieceLength < 1 || options.SeedSize < 1 || options.SubIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MinFrequency, Threads, MaxPieceLength, SeedSize and SubIterations must be positive");
        if (options.ShrinkingFactor is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), "ShrinkingFactor must be in (0, 1)");
        if (options.CharacterCoverage is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "CharacterCoverage must be in (0, 1]");
        if (string.IsNullOrEmpty(options.UnknownToken) || options.SpecialTokens.Any(string.IsNullOrEmpty))
            throw new ArgumentException("the unknown and special tokens must not be empty", nameof(options));
        if (options.VocabularySize <= 1 + options.SpecialTokens.Count)
            throw new ArgumentOutOfRangeException(nameof(options), $"VocabularySize must exceed the {1 + options.SpecialTokens.Count} unknown and special tokens");
    }

    /// <summary>Metaspace words (spaces → "▁", "▁" prepended, split before each "▁") and their counts, pre-tokenized in parallel.</summary>
    private static (string[] Words, long[] Counts) CountWords(IEnumerable<string> texts, int threads, CancellationToken cancellationToken)
    {
        var partials = new List<Dictionary<string, long>>();
        Parallel.ForEach(texts, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (text, _, local) =>
            {
                if (text.Length == 0) return local;
                var lookup = local.GetAlternateLookup<ReadOnlySpan<char>>();
                var normalized = (text[0] is ' ' or Space ? text : Space + text).Replace(' ', Space).AsSpan();
                for (int start = 0; start < normalized.Length;)
                {
                    int next = normalized[(start + 1)..].IndexOf(Space);
                    int end = next < 0 ? normalized.Length : start + 1 + next;
                    var word = normalized[start..end];
                    lookup[word] = lookup.TryGetValue(word, out long count) ? count + 1 : 1;
                    start = end;
                }
                return local;
            },
            local => { lock (partials) partials.Add(local); });
        var total = partials.MaxBy(p => p.Count) ?? new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var partial in partials)
            if (!ReferenceEquals(partial, total))
                foreach (var (word, count) in partial) total[word] = total.GetValueOrDefault(word) + count;
        // Ordinal order: the same corpus gives the same vocabulary however the threads ran.
        var words = total.Keys.Order(StringComparer.Ordinal).ToArray();
        return (words, words.Select(w => total[w]).ToArray());
    }

    /// <summary>The characters (surrogate pairs as one) that cover the wanted share of the text, most frequent first, then the required ones.</summary>
    private static List<(string Character, long Count)> Characters(string[] words, long[] counts, UnigramTrainerOptions options)
    {
        var frequency = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int w = 0; w < words.Length; w++)
            for (int i = 0; i < words[w].Length;)
            {
                int length = UnigramLattices.CharLength(words[w], i);
                var c = words[w].Substring(i, length);
                frequency[c] = frequency.GetValueOrDefault(c) + counts[w];
                i += length;
            }
        double total = frequency.Values.Sum();
        var kept = new List<(string, long)>();
        double covered = 0;
        foreach (var (c, count) in frequency.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal))
        {
            if (kept.Count > 0 && covered / total >= options.CharacterCoverage) break;
            kept.Add((c, count));
            covered += count;
        }
        for (int i = 0; i < options.RequiredCharacters.Length; i += UnigramLattices.CharLength(options.RequiredCharacters, i))
        {
            var c = options.RequiredCharacters.Substring(i, UnigramLattices.CharLength(options.RequiredCharacters, i));
            if (!kept.Any(k => k.Item1 == c)) kept.Add((c, 0));
        }
        return kept;
    }

    /// <summary>
    /// The M-step as SentencePiece does it: pieces expected fewer than 0.5 times leave (characters stay), the rest get
    /// log-probabilities digamma(count) − digamma(total), a variational-Bayes estimate that favours dropping rare pieces.
    /// </summary>
    private static (List<string>, double[]) Maximize(List<string> pieces, double[] expected, int characterCount,
        UnigramLattices lattices, CancellationToken cancellationToken)
    {
        var used = expected.Select(e => e >= MinExpectedCount).ToArray();
        var keep = Enumerable.Range(0, pieces.Count).Select(i => i < characterCount || used[i]).ToArray();
        double logTotal = Digamma(Enumerable.Range(0, pieces.Count).Where(i => used[i]).Sum(i => expected[i]));
        var scores = expected.Select((e, i) => used[i] ? Digamma(e) - logTotal : double.NegativeInfinity).ToArray();
        FillUnused(scores, characterCount, used);
        return Keep(pieces, scores, keep, lattices, cancellationToken);
    }

    /// <summary>
    /// Drops the pieces whose loss in corpus log-likelihood, were each replaced by its best split into other pieces, is
    /// smallest, keeping <paramref name="size"/>. Pieces unused by the Viterbi segmentation, or that do not segment as
    /// themselves, go first; characters always stay.
    /// </summary>
    private static (List<string>, double[]) Prune(List<string> pieces, double[] scores, int characterCount, int size,
        UnigramLattices lattices, double wordTotal, UnigramTrainerOptions options, CancellationToken cancellationToken)
    {
        double unknownScore = UnknownScore(scores);
        var frequency = lattices.ViterbiCounts(scores, unknownScore, cancellationToken);
        var ids = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        for (int i = 0; i < pieces.Count; i++) ids[pieces[i]] = i;
        var alternatives = new int[pieces.Count][];
        Parallel.For(characterCount, pieces.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = cancellationToken }, i =>
        {
            var (score, split) = BestSplit(pieces[i], i, ids, scores, unknownScore, options.MaxPieceLength);
            alternatives[i] = score > scores[i] ? [] : split; // empty: the piece is not its own best segmentation
        });
        double pieceTotal = frequency.Sum(f => (double)f);
        var keep = new bool[pieces.Count];
        var losses = new List<(int Piece, double Loss)>();
        for (int i = 0; i < pieces.Count; i++)
        {
            if (i < characterCount) { keep[i] = true; continue; }
            if (frequency[i] == 0 || alternatives[i].Length == 0) continue;
            // The likelihood change if this piece's occurrences were split into its alternatives (SentencePiece's estimate).
            double f = frequency[i];
            double logProbability = Math.Log(f) - Math.Log(pieceTotal);
            double logTotalWithout = Math.Log(pieceTotal + f * (alternatives[i].Length - 1));
            double logProbabilityWithout = alternatives[i].Sum(a => Math.Log(frequency[a] + f) - logTotalWithout);
            losses.Add((i, f / wordTotal * (logProbability - logProbabilityWithout)));
        }
        foreach (var (piece, _) in losses.OrderByDescending(l => l.Loss).ThenBy(l => l.Piece).Take(Math.Max(0, size - characterCount)))
            keep[piece] = true;
        return Keep(pieces, scores, keep, lattices, cancellationToken);
    }

    /// <summary>The best segmentation of a piece's text into other pieces (Viterbi without the piece itself).</summary>
    private static (double Score, int[] Split) BestSplit(string text, int self, Dictionary<string, int> ids, double[] scores,
        double unknownScore, int maxPieceLength)
    {
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        int n = text.Length;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var piece = new int[n + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        for (int start = 0; start < n; start++)
        {
            if (double.IsNegativeInfinity(best[start])) continue;
            int charEnd = start + UnigramLattices.CharLength(text, start);
            bool single = false;
            for (int end = start + 1; end <= Math.Min(n, start + maxPieceLength); end++)
            {
                if (!lookup.TryGetValue(text.AsSpan(start, end - start), out int id) || id == self) continue;
                single |= end == charEnd;
                if (best[start] + scores[id] > best[end]) { best[end] = best[start] + scores[id]; from[end] = start; piece[end] = id; }
            }
            if (!single && best[start] + unknownScore > best[charEnd]) { best[charEnd] = best[start] + unknownScore; from[charEnd] = start; piece[charEnd] = -1; }
        }
        var split = new List<int>();
        for (int end = n; end > 0; end = from[end]) if (piece[end] >= 0) split.Add(piece[end]);
        return (best[n], [.. split]);
    }

    private static (List<string>, double[]) Keep(List<string> pieces, double[] scores, bool[] keep, UnigramLattices lattices, CancellationToken cancellationToken)
    {
        var newIds = new int[pieces.Count];
        var keptPieces = new List<string>();
        var keptScores = new List<double>();
        for (int i = 0; i < pieces.Count; i++)
        {
            newIds[i] = keep[i] ? keptPieces.Count : -1;
            if (!keep[i]) continue;
            keptPieces.Add(pieces[i]);
            keptScores.Add(scores[i]);
        }
        if (keptPieces.Count < pieces.Count) lattices.Renumber(newIds, cancellationToken);
        return (keptPieces, [.. keptScores]);
    }

    /// <summary>A character the model does not use (expected too rarely, or unseen but required) scores 1 below the least likely piece.</summary>
    private static void FillUnused(double[] scores, int characterCount, bool[] used)
    {
        double floor = Enumerable.Range(0, scores.Length).Where(i => used[i]).Select(i => scores[i]).DefaultIfEmpty(0).Min() - 1;
        for (int i = 0; i < characterCount; i++) if (!used[i]) scores[i] = floor;
    }

    private static double UnknownScore(double[] scores) => scores.Where(double.IsFinite).DefaultIfEmpty(0).Min() - UnknownPenalty;

    /// <summary>ψ(x) by the recurrence ψ(x) = ψ(x + 1) − 1/x up to 10, then its asymptotic series (error below 1e-13).</summary>
    internal static double Digamma(double x)
    {
        double result = 0;
        for (; x < 10; x++) result -= 1 / x;
        double f = 1 / (x * x);
        return result + Math.Log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
    }

    private static void Write(string path, List<string> meta, List<(string Piece, double Score)> pieces)
    {
        TokenizerJsonWriter.Write(path, meta.Select((token, id) => (id, token)), json =>
        {
            json.WriteNull("normalizer");
            void Metaspace(string name)
            {
                json.WriteStartObject(name);
                json.WriteString("type", "Metaspace");
                json.WriteString("replacement", Space.ToString());
                json.WriteString("prepend_scheme", "always");
                json.WriteBoolean("split", true);
                json.WriteEndObject();
            }
            Metaspace("pre_tokenizer");
            json.WriteNull("post_processor");
            Metaspace("decoder");
            json.WriteStartObject("model");
            json.WriteString("type", "Unigram");
            json.WriteNumber("unk_id", 0);
            json.WriteStartArray("vocab");
            foreach (var token in meta) WritePiece(token, 0);
            // Scores in multiples of 2^-12: their decimals have at most ~15 significant digits, which every JSON reader
            // (HF's serde_json included, whose long-decimal parsing can be an ulp off) turns into the same double, so
            // segmentations that tie here tie in HF too.
            foreach (var (piece, score) in pieces) WritePiece(piece, Math.Round(score * 4096) / 4096);
            json.WriteEndArray();
            json.WriteBoolean("byte_fallback", false);
            json.WriteEndObject();

            void WritePiece(string piece, double score)
            {
                json.WriteStartArray();
                json.WriteStringValue(piece);
                json.WriteNumberValue(score);
                json.WriteEndArray();
            }
        });
    }
}
