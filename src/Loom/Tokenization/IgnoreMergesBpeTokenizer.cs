using System.Buffers;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Loom.Tokenization;

/// <summary>
/// Byte-level BPE with Hugging Face's ignore_merges (set by Llama 3's tokenizer.json): a pre-token whose byte-level
/// text is itself in the vocabulary is that one token, whatever the merges would make of it; other pre-tokens go
/// through ML.Tokenizers' BPE. Added tokens are matched in the raw text first, leftmost then longest.
/// </summary>
public sealed class IgnoreMergesBpeTokenizer : Tokenizer
{
    private readonly BpeTokenizer _bpe; // given one pre-token at a time, which its pre-tokenizer keeps whole
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Regex _preTokenizer;
    private readonly Regex? _special;
    private readonly Dictionary<string, int> _specialIds;

    internal IgnoreMergesBpeTokenizer(Dictionary<string, int> vocabulary, List<string> merges, string pattern, Dictionary<string, int> special, string? unknownToken)
    {
        _vocabulary = vocabulary;
        _specialIds = special;
        _preTokenizer = new Regex(pattern, RegexOptions.Compiled);
        _special = special.Count == 0 ? null
            : new Regex(string.Join('|', special.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)), RegexOptions.Compiled);
        _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            // Without one, ML.Tokenizers would split at whitespace its own way.
            PreTokenizer = new RegexPreTokenizer(new Regex(@"[\s\S]+", RegexOptions.Compiled), null),
            SpecialTokens = special.Count == 0 ? null : special,
            UnknownToken = unknownToken,
        });
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var input = text ?? textSpan.ToString();
        var tokens = new List<EncodedToken>();
        int start = 0;
        foreach (var match in _special?.Matches(input) ?? Enumerable.Empty<Match>())
        {
            EncodeOrdinary(input, start, match.Index, tokens);
            tokens.Add(new EncodedToken(_specialIds[match.Value], match.Value, match.Index..(match.Index + match.Length)));
            start = match.Index + match.Length;
        }
        EncodeOrdinary(input, start, input.Length, tokens);
        return TokenTruncation.Results(tokens, input.Length, settings.MaxTokenCount);
    }

    private void EncodeOrdinary(string input, int start, int end, List<EncodedToken> output)
    {
        if (end <= start) return;
        for (var match = _preTokenizer.Match(input[start..end]); match.Success; match = match.NextMatch())
        {
            int offset = start + match.Index;
            var symbols = ByteLevel.Encode(match.ValueSpan);
            if (_vocabulary.TryGetValue(symbols, out int id))
            {
                output.Add(new EncodedToken(id, symbols, offset..(offset + match.Length)));
                continue;
            }
            foreach (var token in _bpe.EncodeToTokens(match.Value, out _))
                output.Add(new EncodedToken(token.Id, token.Value, (offset + token.Offset.Start.Value)..(offset + token.Offset.End.Value)));
        }
    }

    public override string Decode(IEnumerable<int> ids) => _bpe.Decode(ids);

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten) =>
        _bpe.Decode(ids, destination, out idsConsumed, out charsWritten);
}
