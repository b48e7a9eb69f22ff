using System.Text;

namespace Loom.Retrieval;

/// <summary>How documents are cut into chunks.</summary>
public enum ChunkingStrategy
{
    /// <summary>Paragraphs, else sentences, else words, else characters, packed up to the token budget with overlap.</summary>
    Recursive,
    /// <summary>One sentence per chunk for matching; the chunk's context is the sentence with its neighbours.</summary>
    SentenceWindow,
}

/// <summary>Chunking settings. <see cref="CountTokens"/> defaults to <see cref="TokenCounters.EstimateWordPieces"/>;
/// pass the embedding model's tokenizer to respect its limit exactly.</summary>
public sealed record ChunkingOptions
{
    public ChunkingStrategy Strategy { get; init; } = ChunkingStrategy.Recursive;
    /// <summary>Token budget per chunk (all-MiniLM-L6-v2 reads at most 256 word pieces including [CLS]/[SEP]).</summary>
    public int MaxTokens { get; init; } = 200;
    /// <summary>Tokens repeated from the end of one chunk at the start of the next (recursive strategy).</summary>
    public int OverlapTokens { get; init; } = 30;
    /// <summary>Sentences on each side of the matched sentence in its context (sentence-window strategy).</summary>
    public int WindowSentences { get; init; } = 2;
    public Func<string, int> CountTokens { get; init; } = TokenCounters.EstimateWordPieces;
}

/// <summary>A piece of a document: <see cref="Text"/> is indexed and embedded; <see cref="Context"/> is what an answer
/// is given (the same text, or the surrounding window for sentence-window chunks).</summary>
public sealed record TextChunk(string Section, string Text, string Context);

/// <summary>Cuts documents into chunks that fit a token budget.</summary>
public sealed class Chunker(ChunkingOptions? options = null)
{
    private readonly ChunkingOptions _options = Validate(options ?? new ChunkingOptions());

    private static ChunkingOptions Validate(ChunkingOptions o)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxTokens, 8, nameof(o.MaxTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(o.OverlapTokens, nameof(o.OverlapTokens));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(o.OverlapTokens, o.MaxTokens, nameof(o.OverlapTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(o.WindowSentences, nameof(o.WindowSentences));
        return o;
    }

    public IReadOnlyList<TextChunk> Chunk(SourceDocument document)
    {
        var chunks = new List<TextChunk>();
        foreach (var section in document.Sections)
        {
            if (string.IsNullOrWhiteSpace(section.Text)) continue;
            if (_options.Strategy == ChunkingStrategy.SentenceWindow) SentenceWindows(section, chunks);
            else Pack(section, chunks);
        }
        return chunks;
    }

    /// <summary>A unit of packing: text that fits the budget, and whether it starts a paragraph.</summary>
    private readonly record struct Atom(string Text, int Tokens, bool StartsParagraph);

    private void Pack(DocumentSection section, List<TextChunk> chunks)
    {
        var atoms = new List<Atom>();
        foreach (var paragraph in Paragraphs(section.Text))
        {
            var first = true;
            foreach (var piece in Fit(paragraph, Level.Paragraph))
            {
                atoms.Add(new Atom(piece, _options.CountTokens(piece), first));
                first = false;
            }
        }

        var current = new List<Atom>();
        var tokens = 0;
        foreach (var atom in atoms)
        {
            if (current.Count > 0 && tokens + atom.Tokens > _options.MaxTokens)
            {
                Emit();
                // Carry the tail of the previous chunk as overlap, never the whole of it.
                var carried = new List<Atom>();
                var carriedTokens = 0;
                for (var i = current.Count - 1; i > 0; i--)
                {
                    if (carriedTokens + current[i].Tokens > _options.OverlapTokens || carriedTokens + current[i].Tokens + atom.Tokens > _options.MaxTokens) break;
                    carried.Insert(0, current[i]);
                    carriedTokens += current[i].Tokens;
                }
                current = carried;
                tokens = carriedTokens;
            }
            current.Add(atom);
            tokens += atom.Tokens;
        }
        if (current.Count > 0) Emit();

        void Emit()
        {
            var sb = new StringBuilder();
            for (var i = 0; i < current.Count; i++)
            {
                if (i > 0) sb.Append(current[i].StartsParagraph ? "\n\n" : " ");
                sb.Append(current[i].Text);
            }
            var text = sb.ToString();
            chunks.Add(new TextChunk(section.Heading, text, text));
        }
    }

    private void SentenceWindows(DocumentSection section, List<TextChunk> chunks)
    {
        var sentences = Paragraphs(section.Text).SelectMany(p => Fit(p, Level.Sentence)).ToList();
        for (var i = 0; i < sentences.Count; i++)
        {
            var from = Math.Max(0, i - _options.WindowSentences);
            var to = Math.Min(sentences.Count, i + _options.WindowSentences + 1);
            chunks.Add(new TextChunk(section.Heading, sentences[i], string.Join(' ', sentences.Skip(from).Take(to - from))));
        }
    }

    private enum Level { Paragraph, Sentence, Word, Character }

    /// <summary>Pieces of <paramref name="text"/> that each fit the budget, splitting only as finely as needed.</summary>
    private IEnumerable<string> Fit(string text, Level level)
    {
        if (level == Level.Paragraph && _options.CountTokens(text) <= _options.MaxTokens) return [text];
        return level switch
        {
            Level.Paragraph or Level.Sentence => TokenCounters.Sentences(text).SelectMany(s =>
                _options.CountTokens(s) <= _options.MaxTokens ? [s] : Fit(s, Level.Word)),
            Level.Word => PackWords(text),
            _ => SplitCharacters(text),
        };
    }

    /// <summary>Greedy word packing for a sentence over budget; a single word over budget is split by characters.</summary>
    private IEnumerable<string> PackWords(string sentence)
    {
        var sb = new StringBuilder();
        var tokens = 0;
        foreach (var word in sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var wordTokens = _options.CountTokens(word);
            if (wordTokens > _options.MaxTokens)
            {
                if (sb.Length > 0) { yield return sb.ToString(); sb.Clear(); tokens = 0; }
                foreach (var piece in SplitCharacters(word)) yield return piece;
                continue;
            }
            if (sb.Length > 0 && tokens + wordTokens > _options.MaxTokens) { yield return sb.ToString(); sb.Clear(); tokens = 0; }
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(word);
            tokens += wordTokens;
        }
        if (sb.Length > 0) yield return sb.ToString();
    }

    /// <summary>Halves a run of characters until each piece fits (for enormous "words": base64, minified code).</summary>
    private IEnumerable<string> SplitCharacters(string text)
    {
        var pending = new Stack<string>();
        pending.Push(text);
        var output = new List<string>();
        while (pending.Count > 0)
        {
            var piece = pending.Pop();
            if (piece.Length <= 1 || _options.CountTokens(piece) <= _options.MaxTokens) { output.Add(piece); continue; }
            var half = piece.Length / 2;
            if (char.IsHighSurrogate(piece[half - 1])) half++;
            pending.Push(piece[half..]);
            pending.Push(piece[..half]);
        }
        return output;
    }

    private static IEnumerable<string> Paragraphs(string text) =>
        text.Replace("\r\n", "\n").Split("\n\n").Select(p => p.Trim()).Where(p => p.Length > 0);
}
