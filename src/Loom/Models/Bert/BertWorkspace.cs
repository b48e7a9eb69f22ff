namespace Loom.Models.Bert;

/// <summary>
/// The buffers one encoder call works in, grown to the largest batch seen and then reused, so that a long run of
/// batches allocates nothing per token. Not thread-safe: give each concurrent caller its own workspace.
/// </summary>
public sealed class BertWorkspace
{
    private int[] _offsets = new int[1];
    private int[] _lengths = [];

    internal float[] HiddenBuffer = [], Qkv = [], Context = [], Scratch = [], Intermediate = [];
    internal float[][] AttentionScratch = [];

    /// <summary>Number of sequences in the last batch.</summary>
    public int Sequences { get; private set; }

    /// <summary>Total tokens in the last batch (the rows of <see cref="Hidden"/>).</summary>
    public int Tokens { get; private set; }

    /// <summary>Hidden size of the model last run.</summary>
    public int HiddenSize { get; private set; }

    /// <summary>The last hidden states of the last batch, [Tokens × HiddenSize], sequences end to end.</summary>
    public ReadOnlySpan<float> Hidden => HiddenBuffer.AsSpan(0, Tokens * HiddenSize);

    /// <summary>First row of sequence <paramref name="sequence"/> in <see cref="Hidden"/>.</summary>
    public int Offset(int sequence) => _offsets[sequence];

    /// <summary>Token count of sequence <paramref name="sequence"/>.</summary>
    public int Length(int sequence) => _lengths[sequence];

    /// <summary>The hidden states of one sequence, [Length × HiddenSize].</summary>
    public ReadOnlySpan<float> SequenceHidden(int sequence) => Hidden.Slice(_offsets[sequence] * HiddenSize, _lengths[sequence] * HiddenSize);

    internal int MaxLength { get; private set; }

    internal void Prepare(BertConfig config, IReadOnlyList<int[]> tokenIds)
    {
        int n = tokenIds.Count;
        if (_offsets.Length < n + 1) { _offsets = new int[n + 1]; _lengths = new int[n]; }
        int total = 0, longest = 0;
        for (int s = 0; s < n; s++)
        {
            _offsets[s] = total;
            _lengths[s] = tokenIds[s].Length;
            total += tokenIds[s].Length;
            longest = Math.Max(longest, tokenIds[s].Length);
        }
        _offsets[n] = total;
        Sequences = n;
        Tokens = total;
        MaxLength = longest;
        HiddenSize = config.HiddenSize;
        int d = config.HiddenSize;
        Grow(ref HiddenBuffer, total * d);
        Grow(ref Qkv, total * 3 * d);
        Grow(ref Context, total * d);
        Grow(ref Scratch, total * d);
        Grow(ref Intermediate, total * config.IntermediateSize);
        int workers = Environment.ProcessorCount;
        int scratch = BertAttention.ScratchLength(config, longest);
        if (AttentionScratch.Length < workers) Array.Resize(ref AttentionScratch, workers);
        for (int i = 0; i < workers; i++)
            if (AttentionScratch[i] is null || AttentionScratch[i].Length < scratch) AttentionScratch[i] = new float[scratch];
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[Math.Max(length, buffer.Length + buffer.Length / 2)];
    }
}
