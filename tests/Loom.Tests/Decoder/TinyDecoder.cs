using System.Runtime.InteropServices;
using System.Text.Json;
using Loom.Formats;
using Loom.Tensors;

namespace Loom.Tests.Decoder;

/// <summary>The shape of a small random-weight decoder written by the tests. Arch "mistral" is GGUF arch llama with a sliding window.</summary>
internal sealed record TinyDecoderSpec(string Arch, GgmlType Type)
{
    public int Layers { get; init; } = 2;
    public int Embedding { get; init; } = 256;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int FeedForward { get; init; } = 512;
    public int Vocabulary { get; init; } = 320;
    public int Context { get; init; } = 64;
    public int? SlidingWindow { get; init; }
    /// <summary>Llama 3.1 rope scaling (factor 8, low 1, high 4, original context 16).</summary>
    public bool Llama3Rope { get; init; }
    public bool TiedOutput { get; init; }
    public int Seed { get; init; } = 7;

    public string GgufArch => Arch == "mistral" ? "llama" : Arch;
    public bool IsGpt2 => Arch == "gpt2";
    public int KvHeadsUsed => IsGpt2 ? Heads : KvHeads;
    public int HeadSize => Embedding / Heads;
    public const double RopeTheta = 10000;
}

/// <summary>
/// Writes a random-weight decoder as GGUF (tensor names and metadata as llama.cpp expects, with a minimal SentencePiece
/// vocabulary so llama.cpp loads it) and as a Hugging Face folder (config.json + model.safetensors), and keeps the
/// weights as stored (quantized, then decoded) for the float64 reference.
/// </summary>
internal sealed class TinyDecoder
{
    private readonly Dictionary<string, (float[] Values, long[] Dims)> _stored = new(StringComparer.Ordinal);
    private readonly GgufWriter _gguf = new();

    public TinyDecoder(TinyDecoderSpec spec)
    {
        Spec = spec;
        var random = new Random(spec.Seed);
        int d = spec.Embedding, q = spec.Heads * spec.HeadSize, kv = spec.KvHeadsUsed * spec.HeadSize, ff = spec.FeedForward, v = spec.Vocabulary;
        AddMetadata();

        Matrix("token_embd.weight", v, d, random, 1.0f);
        if (spec.IsGpt2) Matrix("position_embd.weight", spec.Context, d, random, 0.3f);
        for (int l = 0; l < spec.Layers; l++)
        {
            string b = $"blk.{l}.";
            Norm(b + "attn_norm.weight", d, random);
            if (spec.IsGpt2) Vector(b + "attn_norm.bias", d, random, 0.1f);
            if (spec.IsGpt2 || spec.Arch == "phi3")
            {
                Matrix(b + "attn_qkv.weight", q + 2 * kv, d, random);
                if (spec.IsGpt2) Vector(b + "attn_qkv.bias", q + 2 * kv, random, 0.1f);
            }
            else
            {
                Matrix(b + "attn_q.weight", q, d, random);
                Matrix(b + "attn_k.weight", kv, d, random);
                Matrix(b + "attn_v.weight", kv, d, random);
                if (spec.Arch == "qwen2")
                {
                    Vector(b + "attn_q.bias", q, random, 0.3f);
                    Vector(b + "attn_k.bias", kv, random, 0.3f);
                    Vector(b + "attn_v.bias", kv, random, 0.3f);
                }
            }
            Matrix(b + "attn_output.weight", d, q, random);
            if (spec.IsGpt2) Vector(b + "attn_output.bias", d, random, 0.1f);
            Norm(b + "ffn_norm.weight", d, random);
            if (spec.IsGpt2)
            {
                Vector(b + "ffn_norm.bias", d, random, 0.1f);
                Matrix(b + "ffn_up.weight", ff, d, random);
                Vector(b + "ffn_up.bias", ff, random, 0.1f);
            }
            else if (spec.Arch == "phi3") Matrix(b + "ffn_up.weight", 2 * ff, d, random);
            else
            {
                Matrix(b + "ffn_gate.weight", ff, d, random);
                Matrix(b + "ffn_up.weight", ff, d, random);
            }
            Matrix(b + "ffn_down.weight", d, ff, random);
            if (spec.IsGpt2) Vector(b + "ffn_down.bias", d, random, 0.1f);
        }
        Norm("output_norm.weight", d, random);
        if (spec.IsGpt2) Vector("output_norm.bias", d, random, 0.1f);
        // Output rows at a fifth of the other matrices' scale put the largest |logit| near 0.65, as in the files
        // (llama.cpp's distance from float64 grows with the logits: at this scale F16 / Q8_0 sit ~2e-4 / ~6e-3 away).
        if (!spec.TiedOutput) Matrix("output.weight", v, d, random, 0.3f / MathF.Sqrt(d));
        if (spec.Llama3Rope) Exact("rope_freqs.weight", Llama3Factors(spec.HeadSize), [spec.HeadSize / 2]);
    }

    public TinyDecoderSpec Spec { get; }

    /// <summary>The weights as the file stores them, decoded to f32, by GGUF name; dims innermost first.</summary>
    public IReadOnlyDictionary<string, (float[] Values, long[] Dims)> Stored => _stored;

    public void WriteGguf(string path) => _gguf.Write(path);

    /// <summary>llama.cpp's rope_freqs for Llama 3.1 scaling, from the published formula.</summary>
    public static float[] Llama3Factors(int headSize)
    {
        const double factor = 8, low = 1, high = 4, original = 16;
        var factors = new float[headSize / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            double frequency = Math.Pow(TinyDecoderSpec.RopeTheta, -2.0 * i / headSize), wavelength = 2 * Math.PI / frequency;
            if (wavelength < original / high) factors[i] = 1;
            else if (wavelength > original / low) factors[i] = (float)factor;
            else
            {
                double smooth = (original / wavelength - low) / (high - low);
                factors[i] = (float)(1 / ((1 - smooth) / factor + smooth));
            }
        }
        return factors;
    }

    /// <summary>
    /// Writes the same weights (decoded to f32) as a Hugging Face folder: HF names, Llama's q/k rows back in rotate_half
    /// order (undoing llama.cpp's permutation), GPT-2's Conv1D matrices transposed; optionally sharded with an index.
    /// </summary>
    public void WriteHuggingFace(string folder, bool sharded = false)
    {
        Directory.CreateDirectory(folder);
        var s = Spec;
        var tensors = new List<(string Name, float[] Values, long[] Shape)>();
        void Add(string name, string gguf, bool transpose = false)
        {
            var (values, dims) = _stored[gguf];
            long[] shape = dims.Length == 1 ? [dims[0]] : [dims[1], dims[0]];
            if (transpose) (values, shape) = (Transpose(values, (int)shape[0], (int)shape[1]), [shape[1], shape[0]]);
            tensors.Add((name, values, shape));
        }
        if (s.IsGpt2)
        {
            Add("wte.weight", "token_embd.weight");
            Add("wpe.weight", "position_embd.weight");
            for (int l = 0; l < s.Layers; l++)
            {
                string h = $"h.{l}.", b = $"blk.{l}.";
                Add(h + "ln_1.weight", b + "attn_norm.weight"); Add(h + "ln_1.bias", b + "attn_norm.bias");
                Add(h + "attn.c_attn.weight", b + "attn_qkv.weight", true); Add(h + "attn.c_attn.bias", b + "attn_qkv.bias");
                Add(h + "attn.c_proj.weight", b + "attn_output.weight", true); Add(h + "attn.c_proj.bias", b + "attn_output.bias");
                Add(h + "ln_2.weight", b + "ffn_norm.weight"); Add(h + "ln_2.bias", b + "ffn_norm.bias");
                Add(h + "mlp.c_fc.weight", b + "ffn_up.weight", true); Add(h + "mlp.c_fc.bias", b + "ffn_up.bias");
                Add(h + "mlp.c_proj.weight", b + "ffn_down.weight", true); Add(h + "mlp.c_proj.bias", b + "ffn_down.bias");
            }
            Add("ln_f.weight", "output_norm.weight"); Add("ln_f.bias", "output_norm.bias");
            if (!s.TiedOutput) Add("lm_head.weight", "output.weight");
        }
        else
        {
            Add("model.embed_tokens.weight", "token_embd.weight");
            for (int l = 0; l < s.Layers; l++)
            {
                string h = $"model.layers.{l}.", b = $"blk.{l}.";
                Add(h + "input_layernorm.weight", b + "attn_norm.weight");
                if (s.Arch == "phi3") Add(h + "self_attn.qkv_proj.weight", b + "attn_qkv.weight");
                else
                {
                    bool permuted = s.GgufArch == "llama";
                    AddUnpermuted(h + "self_attn.q_proj.weight", b + "attn_q.weight", s.Heads, permuted);
                    AddUnpermuted(h + "self_attn.k_proj.weight", b + "attn_k.weight", s.KvHeadsUsed, permuted);
                    Add(h + "self_attn.v_proj.weight", b + "attn_v.weight");
                    if (s.Arch == "qwen2")
                    {
                        Add(h + "self_attn.q_proj.bias", b + "attn_q.bias");
                        Add(h + "self_attn.k_proj.bias", b + "attn_k.bias");
                        Add(h + "self_attn.v_proj.bias", b + "attn_v.bias");
                    }
                }
                Add(h + "self_attn.o_proj.weight", b + "attn_output.weight");
                Add(h + "post_attention_layernorm.weight", b + "ffn_norm.weight");
                if (s.Arch == "phi3") Add(h + "mlp.gate_up_proj.weight", b + "ffn_up.weight");
                else
                {
                    Add(h + "mlp.gate_proj.weight", b + "ffn_gate.weight");
                    Add(h + "mlp.up_proj.weight", b + "ffn_up.weight");
                }
                Add(h + "mlp.down_proj.weight", b + "ffn_down.weight");
            }
            Add("model.norm.weight", "output_norm.weight");
            if (!s.TiedOutput) Add("lm_head.weight", "output.weight");
        }

        void AddUnpermuted(string name, string gguf, int heads, bool permuted)
        {
            var (values, dims) = _stored[gguf];
            tensors.Add((name, permuted ? Unpermute(values, heads, (int)dims[1] / heads, (int)dims[0]) : values, [dims[1], dims[0]]));
        }

        if (!sharded)
        {
            var writer = new SafetensorsWriter();
            foreach (var t in tensors) writer.AddTensor(t.Name, t.Values, t.Shape);
            using var stream = File.Create(Path.Combine(folder, "model.safetensors"));
            writer.Write(stream);
        }
        else
        {
            var map = new Dictionary<string, string>();
            for (int shard = 0; shard < 2; shard++)
            {
                string file = $"model-0000{shard + 1}-of-00002.safetensors";
                var writer = new SafetensorsWriter();
                for (int i = shard; i < tensors.Count; i += 2)
                {
                    writer.AddTensor(tensors[i].Name, tensors[i].Values, tensors[i].Shape);
                    map[tensors[i].Name] = file;
                }
                using var stream = File.Create(Path.Combine(folder, file));
                writer.Write(stream);
            }
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = map }));
        }
        File.WriteAllText(Path.Combine(folder, "config.json"), HuggingFaceConfigJson());
    }

    private string HuggingFaceConfigJson()
    {
        var s = Spec;
        var config = new Dictionary<string, object?>();
        if (s.IsGpt2)
        {
            config["model_type"] = "gpt2";
            config["n_embd"] = s.Embedding; config["n_layer"] = s.Layers; config["n_head"] = s.Heads;
            config["n_positions"] = s.Context; config["vocab_size"] = s.Vocabulary; config["n_inner"] = s.FeedForward;
            config["layer_norm_epsilon"] = 1e-5;
        }
        else
        {
            config["model_type"] = s.Arch;
            config["hidden_size"] = s.Embedding; config["num_hidden_layers"] = s.Layers; config["num_attention_heads"] = s.Heads;
            config["num_key_value_heads"] = s.KvHeads; config["intermediate_size"] = s.FeedForward; config["vocab_size"] = s.Vocabulary;
            config["max_position_embeddings"] = s.Context; config["rms_norm_eps"] = 1e-5; config["rope_theta"] = TinyDecoderSpec.RopeTheta;
            config["tie_word_embeddings"] = s.TiedOutput;
            if (s.SlidingWindow is int w) config["sliding_window"] = w;
            if (s.Llama3Rope)
                config["rope_scaling"] = new Dictionary<string, object> { ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 16 };
        }
        return JsonSerializer.Serialize(config);
    }

    /// <summary>llama.cpp's converter turns HF row (half j, index i) of each head into row 2i + j; this undoes it.</summary>
    private static float[] Unpermute(float[] gguf, int heads, int headSize, int cols)
    {
        var hf = new float[gguf.Length];
        int half = headSize / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    Array.Copy(gguf, ((h * headSize) + 2 * i + j) * cols, hf, ((h * headSize) + j * half + i) * cols, cols);
        return hf;
    }

    private static float[] Transpose(float[] values, int rows, int cols)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) result[c * rows + r] = values[r * cols + c];
        return result;
    }

    private void AddMetadata()
    {
        var s = Spec;
        string a = s.GgufArch;
        _gguf.AddMetadata("general.architecture", a)
            .AddMetadata("general.name", $"tiny-{s.Arch}-{s.Type}")
            .AddMetadata($"{a}.context_length", (uint)s.Context)
            .AddMetadata($"{a}.embedding_length", (uint)s.Embedding)
            .AddMetadata($"{a}.block_count", (uint)s.Layers)
            .AddMetadata($"{a}.feed_forward_length", (uint)s.FeedForward)
            .AddMetadata($"{a}.attention.head_count", (uint)s.Heads);
        if (s.IsGpt2) _gguf.AddMetadata($"{a}.attention.layer_norm_epsilon", 1e-5f);
        else
        {
            _gguf.AddMetadata($"{a}.attention.head_count_kv", (uint)s.KvHeads)
                .AddMetadata($"{a}.attention.layer_norm_rms_epsilon", 1e-5f)
                .AddMetadata($"{a}.rope.freq_base", (float)TinyDecoderSpec.RopeTheta)
                .AddMetadata($"{a}.rope.dimension_count", (uint)s.HeadSize);
            if (s.SlidingWindow is int w) _gguf.AddMetadata($"{a}.attention.sliding_window", (uint)w);
        }

        // A minimal SentencePiece vocabulary: unk, bos, eos, the 256 byte tokens, then plain pieces.
        var tokens = new string[s.Vocabulary];
        var scores = new float[s.Vocabulary];
        var types = new int[s.Vocabulary];
        (tokens[0], types[0]) = ("<unk>", 2);
        (tokens[1], types[1]) = ("<s>", 3);
        (tokens[2], types[2]) = ("</s>", 3);
        for (int i = 0; i < 256; i++) (tokens[3 + i], types[3 + i]) = ($"<0x{i:X2}>", 6);
        for (int i = 259; i < s.Vocabulary; i++) (tokens[i], types[i], scores[i]) = ($"\u2581w{i}", 1, -i);
        // Chat-format control tokens some architectures look up by text (llama.cpp's Phi-3 vocabulary needs <|end|>).
        string[] control = ["<|endoftext|>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>"];
        for (int i = 0; i < control.Length; i++) (tokens[s.Vocabulary - 1 - i], types[s.Vocabulary - 1 - i], scores[s.Vocabulary - 1 - i]) = (control[i], 3, 0);
        _gguf.AddMetadata("tokenizer.ggml.model", "llama")
            .AddMetadata("tokenizer.ggml.tokens", tokens)
            .AddMetadata("tokenizer.ggml.scores", scores)
            .AddMetadata("tokenizer.ggml.token_type", types)
            .AddMetadata("tokenizer.ggml.bos_token_id", 1u)
            .AddMetadata("tokenizer.ggml.eos_token_id", 2u)
            .AddMetadata("tokenizer.ggml.unknown_token_id", 0u);
    }

    private void Matrix(string name, int rows, int cols, Random random, float? scale = null)
    {
        float a = scale ?? 1.5f / MathF.Sqrt(cols);
        var values = new float[rows * cols];
        for (int i = 0; i < values.Length; i++) values[i] = a * (float)(random.NextDouble() * 2 - 1);
        var bytes = Quantization.Quantize(Spec.Type, values);
        var decoded = new float[values.Length];
        Quantization.Dequantize(Spec.Type, bytes, decoded);
        _gguf.AddTensor(name, Spec.Type, [cols, rows], bytes);
        _stored[name] = (decoded, [cols, rows]);
    }

    private void Norm(string name, int length, Random random)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = 1 + 0.2f * (float)(random.NextDouble() * 2 - 1);
        Exact(name, values, [length]);
    }

    private void Vector(string name, int length, Random random, float scale)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = scale * (float)(random.NextDouble() * 2 - 1);
        Exact(name, values, [length]);
    }

    private void Exact(string name, float[] values, long[] dims)
    {
        _gguf.AddTensor(name, values, dims);
        _stored[name] = (values, dims);
    }
}
