namespace Loom.Tokenization.Pipeline;

/// <summary>
/// Pre-tokenizer "Metaspace": spaces become the replacement ("▁"), one is prepended (always, or only to the piece that
/// starts the text with prepend_scheme "first", never with "never") unless already there, and with split the piece is
/// cut before each replacement.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, MetaspacePreTokenizer.Prepend prepend, bool split) : IPreTokenizerStage
{
    internal enum Prepend { Always, First, Never }

    public void Split(NormalizedText piece, List<NormalizedText> output)
    {
        if (piece.Length == 0) return;
        var text = new NormalizedText.Builder();
        bool add = piece.Text[0] != replacement && piece.Text[0] != ' ' && (prepend == Prepend.Always || (prepend == Prepend.First && piece.Start[0] == 0));
        if (add) text.Append([replacement], piece.Start[0], piece.Start[0]);
        for (int i = 0; i < piece.Length; i++)
            if (piece.Text[i] == ' ') text.Append([replacement], piece.Start[i], piece.End[i]);
            else text.Copy(piece, i, i + 1);
        var replaced = text.Build();
        if (!split) { output.Add(replaced); return; }
        var delimiters = new List<(int, int)>();
        for (int i = 0; i < replaced.Length; i++) if (replaced.Text[i] == replacement) delimiters.Add((i, i + 1));
        SplitBehaviors.Split(replaced, delimiters, SplitBehavior.MergedWithNext, output);
    }
}
