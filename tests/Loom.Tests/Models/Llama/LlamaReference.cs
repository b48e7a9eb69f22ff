namespace Loom.Tests.Models.Llama;

/// <summary>
/// A float64 forward pass of the Llama family written from the papers / llama.cpp's graph, plainly, with no
/// code shared with Loom: RMSNorm, RoPE (adjacent pairs for llama, split halves for qwen2/phi3), causal
/// grouped-query attention, SwiGLU.
/// </summary>
internal static class LlamaReference
{
    public static double[][] Logits(RandomLlamaFile model, int[] tokens)
    {
        const int d = RandomLlamaFile.Width, hs = RandomLlamaFile.HeadSize, heads = RandomLlamaFile.Heads;
        int n = tokens.Length, group = heads / RandomLlamaFile.KvHeads;
        var x = tokens.Select(t => (double[])model.Embedding[t].Clone()).ToArray();
        foreach (var w in model.Blocks)
        {
            var h = x.Select(row => RmsNorm(row, w.AttentionNorm)).ToArray();
            var q = h.Select(row => Add(MatVec(w.Q, row), w.QBias)).ToArray();
            var k = h.Select(row => Add(MatVec(w.K, row), w.KBias)).ToArray();
            var v = h.Select(row => Add(MatVec(w.V, row), w.VBias)).ToArray();
            for (int t = 0; t < n; t++)
            {
                Rotate(q[t], heads, t, model.Architecture, model.RopeFactors);
                Rotate(k[t], RandomLlamaFile.KvHeads, t, model.Architecture, model.RopeFactors);
            }
            var mixed = new double[n][];
            for (int t = 0; t < n; t++)
            {
                mixed[t] = new double[d];
                for (int head = 0; head < heads; head++)
                {
                    int kvh = head / group;
                    var scores = new double[t + 1];
                    for (int p = 0; p <= t; p++)
                    {
                        double dot = 0;
                        for (int i = 0; i < hs; i++) dot += q[t][head * hs + i] * k[p][kvh * hs + i];
                        scores[p] = dot / Math.Sqrt(hs);
                    }
                    double max = scores.Max(), z = scores.Sum(s => Math.Exp(s - max));
                    for (int p = 0; p <= t; p++)
                        for (int i = 0; i < hs; i++) mixed[t][head * hs + i] += Math.Exp(scores[p] - max) / z * v[p][kvh * hs + i];
                }
            }
            for (int t = 0; t < n; t++)
            {
                x[t] = Add(x[t], MatVec(w.O, mixed[t]));
                var f = RmsNorm(x[t], w.FeedForwardNorm);
                var gate = MatVec(w.Gate, f);
                var up = MatVec(w.Up, f);
                var act = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                x[t] = Add(x[t], MatVec(w.Down, act));
            }
        }
        return x.Select(row => MatVec(model.Output, RmsNorm(row, model.OutputNorm))).ToArray();
    }

    private static double[] RmsNorm(double[] x, double[] weight)
    {
        double scale = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + RandomLlamaFile.Epsilon);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private static double[] MatVec(double[][] w, double[] x) => w.Select(row => row.Select((v, i) => v * x[i]).Sum()).ToArray();

    private static double[] Add(double[] a, double[]? b) => b is null ? a : a.Select((v, i) => v + b[i]).ToArray();

    private static void Rotate(double[] x, int heads, int position, string architecture, double[]? factors)
    {
        const int hs = RandomLlamaFile.HeadSize;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < hs / 2; i++)
            {
                double angle = position * Math.Pow(RandomLlamaFile.Theta, -2.0 * i / hs) / (factors?[i] ?? 1);
                int a = architecture == "llama" ? h * hs + 2 * i : h * hs + i;
                int b = architecture == "llama" ? a + 1 : a + hs / 2;
                (double u, double w) = (x[a], x[b]);
                x[a] = u * Math.Cos(angle) - w * Math.Sin(angle);
                x[b] = w * Math.Cos(angle) + u * Math.Sin(angle);
            }
    }
}
