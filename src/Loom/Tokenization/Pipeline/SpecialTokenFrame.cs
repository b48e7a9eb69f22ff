namespace Loom.Tokenization.Pipeline;

/// <summary>
/// What a post-processor adds around a single sequence: "BertProcessing" ([CLS] A [SEP]), "RobertaProcessing"
/// (&lt;s&gt; A &lt;/s&gt;) or "TemplateProcessing" (its "single" template). Added tokens have empty spans.
/// </summary>
internal sealed record SpecialTokenFrame(IReadOnlyList<(int Id, string Token)> Prefix, IReadOnlyList<(int Id, string Token)> Suffix)
{
    public static SpecialTokenFrame None { get; } = new([], []);
}
