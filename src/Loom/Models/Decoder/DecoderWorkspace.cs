namespace Loom.Models.Decoder;

/// <summary>
/// Scratch buffers of a forward pass, sized for the largest batch seen so far: token-by-token decoding after the
/// prompt allocates nothing.
/// </summary>
internal sealed class DecoderWorkspace(DecoderConfig config, int threads)
{
    public int Rows { get; private set; }
    /// <summary>The residual stream [rows × embedding].</summary>
    public float[] Residual { get; private set; } = [];
    /// <summary>Normalised input of a sub-layer [rows × embedding].</summary>
    public float[] Normed { get; private set; } = [];
    /// <summary>Queries [rows × heads·head size].</summary>
    public float[] Queries { get; private set; } = [];
    /// <summary>Fused q|k|v projections [rows × (q + 2 kv)] (fused models only).</summary>
    public float[] Qkv { get; private set; } = [];
    /// <summary>Attention output, heads concatenated [rows × heads·head size].</summary>
    public float[] Attended { get; private set; } = [];
    /// <summary>Sub-layer output before the residual add [rows × embedding].</summary>
    public float[] Projected { get; private set; } = [];
    /// <summary>First feed-forward buffer [rows × 2·ff] (Phi-3's gate|up fits).</summary>
    public float[] Hidden { get; private set; } = [];
    /// <summary>Second feed-forward buffer [rows × ff].</summary>
    public float[] Hidden2 { get; private set; } = [];
    /// <summary>Attention scores, one row per worker [workers × positions].</summary>
    public float[][] Scores { get; private set; } = [];

    public int Workers { get; } = Math.Max(1, threads);

    public void Ensure(int rows, int positions)
    {
        if (rows > Rows)
        {
            Rows = rows;
            int d = config.EmbeddingSize, q = config.QueryDimension, kv = config.KvDimension, ff = config.FeedForwardSize;
            Residual = new float[rows * d];
            Normed = new float[rows * d];
            Queries = new float[rows * q];
            Qkv = new float[rows * (q + 2 * kv)];
            Attended = new float[rows * q];
            Projected = new float[rows * d];
            Hidden = new float[rows * 2 * ff];
            Hidden2 = new float[rows * ff];
        }
        if (Scores.Length == 0 || Scores[0].Length < positions)
        {
            Scores = new float[Workers][];
            for (int i = 0; i < Workers; i++) Scores[i] = new float[positions];
        }
    }
}
