using System.Buffers;
using Loom.Tokenization.Pipeline;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// A tokenizer.json run stage by stage, as declared, for the combinations the dedicated tokenizers do not cover: added
/// tokens are cut out of the raw text first, the rest goes normalizer → pre-tokenizer → model (WordLevel or WordPiece),
/// and the post-processor's special tokens frame the result. Token offsets point into the caller's text.
/// </summary>
public sealed class PipelineTokenizer : Tokenizer
{
    private readonly INormalizerStage? _normalizer;
    private readonly IPreTokenizerStage? _preTokenizer;
    private readonly IWordModel _model;
    private readonly SpecialTokenFrame _frame;
    private readonly Dictionary<string, int> _added;
    private readonly HashSet<int> _special;
    private readonly IDecoderStage _decoder;

    internal PipelineTokenizer(INormalizerStage? normalizer, IPreTokenizerStage? preTokenizer, IWordModel model, SpecialTokenFrame frame,
        Dictionary<string, int> added, HashSet<int> special, IDecoderStage decoder)
    {
        (_normalizer, _preTokenizer, _model, _frame, _added, _special, _decoder) = (normalizer, preTokenizer, model, frame, added, special, decoder);
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var tokens = new List<EncodedToken>();
        foreach (var (id, token) in _frame.Prefix) tokens.Add(new EncodedToken(id, token, 0..0));
        var pieces = new List<(int Id, int Start, int End)>();
        for (int start = 0; start < span.Length;)
        {
            int next = start + AddedTokenMatcher.FindNext(span[start..], _added, out int length, out int id);
            if (next > start) EncodeSegment(NormalizedText.Original(span[start..next], start), tokens, pieces);
            if (id < 0) break;
            tokens.Add(new EncodedToken(id, _model.Tokens[id], next..(next + length)));
            start = next + length;
        }
        foreach (var (id, token) in _frame.Suffix) tokens.Add(new EncodedToken(id, token, span.Length..span.Length));
        return TokenTruncation.Results(tokens, span.Length, settings.MaxTokenCount);
    }

    private void EncodeSegment(NormalizedText segment, List<EncodedToken> output, List<(int Id, int Start, int End)> pieces)
    {
        var normalized = _normalizer?.Apply(segment) ?? segment;
        var words = new List<NormalizedText>();
        if (_preTokenizer is null) words.Add(normalized);
        else _preTokenizer.Split(normalized, words);
        foreach (var word in words)
        {
            if (word.Length == 0) continue;
            pieces.Clear();
            _model.Tokenize(word.Text, pieces);
            foreach (var (id, start, end) in pieces) output.Add(new EncodedToken(id, _model.Tokens[id], word.Source(start, end)));
        }
    }

    /// <summary>The text of the ids, special tokens skipped, as the file's decoder puts it together.</summary>
    public override string Decode(IEnumerable<int> ids) => _decoder.Decode(ids.Where(id =>
    {
        if ((uint)id >= (uint)_model.Tokens.Count) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the vocabulary of {_model.Tokens.Count}");
        return !_special.Contains(id);
    }).Select(id => _model.Tokens[id]));

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        return DecodedText.CopyTo(Decode(list), list.Count, destination, out idsConsumed, out charsWritten);
    }
}
