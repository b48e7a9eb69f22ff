using System.Text.RegularExpressions;

namespace Loom.Retrieval;

/// <summary>Token counters for chunking. A chunker only needs "how many tokens would the embedding model see",
/// so any <c>Func&lt;string, int&gt;</c> works, e.g. <c>tokenizer.CountTokens</c> of a Microsoft.ML.Tokenizers tokenizer.</summary>
public static partial class TokenCounters
{
    /// <summary>A tokenizer-free estimate for WordPiece/BPE English: 4/3 tokens per word plus one per punctuation mark.
    /// It overestimates slightly on plain prose, which keeps chunks under a model's limit.</summary>
    public static int EstimateWordPieces(string text)
    {
        var words = 0;
        var punctuation = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) { if (!inWord) words++; inWord = true; }
            else { inWord = false; if (!char.IsWhiteSpace(c)) punctuation++; }
        }
        return (words * 4 + 2) / 3 + punctuation;
    }

    /// <summary>Splits a text into sentences at ., ! or ? followed by whitespace and an upper-case letter, digit or quote,
    /// at blank lines and before list items; other line breaks inside a sentence are kept.</summary>
    public static IEnumerable<string> Sentences(string text) =>
        SentenceBoundary().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0);

    [GeneratedRegex(@"(?<=[.!?][""')\]]?)\s+(?=[\p{Lu}\d""'(\[])|\n\s*\n|\n(?=[ \t]*(?:[-*+•]|\d+[.)])[ \t])")]
    private static partial Regex SentenceBoundary();
}
