namespace Loom.Tests.Decoder;

/// <summary>
/// A naive float64 forward pass over the weights a <see cref="TinyDecoder"/> stored (decoded from their file type), written
/// from the architectures' definitions independently of Loom's engine: the yardstick both Loom and llama.cpp are held to.
/// </summary>
internal static class ReferenceDecoder
{
    /// <summary>Logits of every position, [tokens][vocabulary].</summary>
    public static double[][] Logits(TinyDecoder model, int[] tokens)
    {
        var s = model.Spec;
        var w = model.Stored;
        int d = s.Embedding, hs = s.HeadSize, heads = s.Heads, kvHeads = s.KvHeadsUsed, q = heads * hs, kv = kvHeads * hs, ff = s.FeedForward, n = tokens.Length;
        double[] V(string name) => Array.ConvertAll(w[name].Values, x => (double)x);
        var matrices = new Dictionary<string, double[][]>();
        double[][] M(string name)
        {
            if (matrices.TryGetValue(name, out var cached)) return cached;
            var (values, dims) = w[name];
            int rows = (int)dims[1], cols = (int)dims[0];
            var m = new double[rows][];
            for (int r = 0; r < rows; r++) { m[r] = new double[cols]; for (int c = 0; c < cols; c++) m[r][c] = values[r * cols + c]; }
            return matrices[name] = m;
        }
        double[] Mul(double[][] m, double[] x, double[]? bias = null)
        {
            var y = new double[m.Length];
            for (int r = 0; r < m.Length; r++) { double sum = bias?[r] ?? 0; for (int c = 0; c < x.Length; c++) sum += m[r][c] * x[c]; y[r] = sum; }
            return y;
        }
        double[] Norm(double[] x, string weight, string? bias)
        {
            var g = V(weight);
            var y = new double[x.Length];
            if (s.IsGpt2)
            {
                double mean = x.Average(), variance = x.Select(v => (v - mean) * (v - mean)).Average();
                var b = V(bias!);
                for (int i = 0; i < x.Length; i++) y[i] = (x[i] - mean) / Math.Sqrt(variance + 1e-5) * g[i] + b[i];
            }
            else
            {
                double ms = x.Select(v => v * v).Average();
                for (int i = 0; i < x.Length; i++) y[i] = x[i] / Math.Sqrt(ms + 1e-5) * g[i];
            }
            return y;
        }
        double[]? factors = w.TryGetValue("rope_freqs.weight", out var f) ? Array.ConvertAll(f.Values, x => (double)x) : null;
        void Rotate(double[] v, int offset, int position)
        {
            int half = hs / 2;
            for (int i = 0; i < half; i++)
            {
                double theta = position * Math.Pow(TinyDecoderSpec.RopeTheta, -2.0 * i / hs) / (factors?[i] ?? 1);
                // GGUF Llama pairs adjacent dimensions; Qwen2 and Phi-3 pair the two halves.
                (int a, int b) = s.GgufArch == "llama" ? (offset + 2 * i, offset + 2 * i + 1) : (offset + i, offset + i + half);
                double x0 = v[a], x1 = v[b];
                v[a] = x0 * Math.Cos(theta) - x1 * Math.Sin(theta);
                v[b] = x0 * Math.Sin(theta) + x1 * Math.Cos(theta);
            }
        }

        var embedding = M("token_embd.weight");
        var x = new double[n][];
        for (int t = 0; t < n; t++)
        {
            x[t] = (double[])embedding[tokens[t]].Clone();
            if (s.IsGpt2) { var p = M("position_embd.weight")[t]; for (int i = 0; i < d; i++) x[t][i] += p[i]; }
        }
        for (int l = 0; l < s.Layers; l++)
        {
            string b = $"blk.{l}.";
            var Q = new double[n][]; var K = new double[n][]; var Vv = new double[n][];
            for (int t = 0; t < n; t++)
            {
                var h = Norm(x[t], b + "attn_norm.weight", b + "attn_norm.bias");
                if (w.ContainsKey(b + "attn_qkv.weight"))
                {
                    var qkv = Mul(M(b + "attn_qkv.weight"), h, w.ContainsKey(b + "attn_qkv.bias") ? V(b + "attn_qkv.bias") : null);
                    Q[t] = qkv[..q]; K[t] = qkv[q..(q + kv)]; Vv[t] = qkv[(q + kv)..];
                }
                else
                {
                    double[]? Bias(string name) => w.ContainsKey(name) ? V(name) : null;
                    Q[t] = Mul(M(b + "attn_q.weight"), h, Bias(b + "attn_q.bias"));
                    K[t] = Mul(M(b + "attn_k.weight"), h, Bias(b + "attn_k.bias"));
                    Vv[t] = Mul(M(b + "attn_v.weight"), h, Bias(b + "attn_v.bias"));
                }
                if (!s.IsGpt2)
                {
                    for (int hh = 0; hh < heads; hh++) Rotate(Q[t], hh * hs, t);
                    for (int hh = 0; hh < kvHeads; hh++) Rotate(K[t], hh * hs, t);
                }
            }
            for (int t = 0; t < n; t++)
            {
                var attended = new double[q];
                for (int hh = 0; hh < heads; hh++)
                {
                    int kvh = hh / (heads / kvHeads);
                    int first = s.SlidingWindow is int window ? Math.Max(0, t - window + 1) : 0;
                    var scores = new double[t + 1];
                    double max = double.NegativeInfinity;
                    for (int j = first; j <= t; j++)
                    {
                        double dot = 0;
                        for (int i = 0; i < hs; i++) dot += Q[t][hh * hs + i] * K[j][kvh * hs + i];
                        scores[j] = dot / Math.Sqrt(hs);
                        max = Math.Max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = first; j <= t; j++) sum += scores[j] = Math.Exp(scores[j] - max);
                    for (int j = first; j <= t; j++)
                        for (int i = 0; i < hs; i++) attended[hh * hs + i] += scores[j] / sum * Vv[j][kvh * hs + i];
                }
                var o = Mul(M(b + "attn_output.weight"), attended, w.ContainsKey(b + "attn_output.bias") ? V(b + "attn_output.bias") : null);
                for (int i = 0; i < d; i++) x[t][i] += o[i];

                var h = Norm(x[t], b + "ffn_norm.weight", b + "ffn_norm.bias");
                double[] act;
                if (s.IsGpt2)
                {
                    act = Mul(M(b + "ffn_up.weight"), h, V(b + "ffn_up.bias"));
                    for (int i = 0; i < ff; i++) act[i] = 0.5 * act[i] * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (act[i] + 0.044715 * act[i] * act[i] * act[i])));
                }
                else
                {
                    double[] gate, up;
                    if (s.Arch == "phi3") { var gu = Mul(M(b + "ffn_up.weight"), h); gate = gu[..ff]; up = gu[ff..]; }
                    else { gate = Mul(M(b + "ffn_gate.weight"), h); up = Mul(M(b + "ffn_up.weight"), h); }
                    act = new double[ff];
                    for (int i = 0; i < ff; i++) act[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
                }
                var down = Mul(M(b + "ffn_down.weight"), act, w.ContainsKey(b + "ffn_down.bias") ? V(b + "ffn_down.bias") : null);
                for (int i = 0; i < d; i++) x[t][i] += down[i];
            }
        }
        var output = M(w.ContainsKey("output.weight") ? "output.weight" : "token_embd.weight");
        return x.Select(row => Mul(output, Norm(row, "output_norm.weight", "output_norm.bias"))).ToArray();
    }
}
