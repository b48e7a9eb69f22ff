using Loom.Models.Decoder;
using Loom.Tensors;
using Xunit.Abstractions;

namespace Loom.Tests.Decoder;

/// <summary>
/// Loom's decoder against llama.cpp (LLamaSharp 0.30.0) and a float64 reference, on random-weight GGUF files of every
/// supported architecture and weight type: logits of every position of a fixed 12-token prompt.
/// </summary>
public sealed class DecoderParityTests(ITestOutputHelper output) : IDisposable
{
    internal static readonly int[] Prompt = [1, 300, 45, 7, 310, 12, 99, 260, 3, 318, 150, 77];

    private readonly string _folder = Directory.CreateTempSubdirectory("loom-decoder-").FullName;

    public static TheoryData<string, GgmlType> Cases()
    {
        var data = new TheoryData<string, GgmlType>();
        foreach (string arch in new[] { "llama", "qwen2", "phi3", "gpt2", "mistral" })
            foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K })
                data.Add(arch, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsMatchLlamaCpp(string arch, GgmlType type)
    {
        var spec = new TinyDecoderSpec(arch, type) { SlidingWindow = arch == "mistral" ? 5 : null };
        var tiny = new TinyDecoder(spec);
        string path = Path.Combine(_folder, $"{arch}-{type}.gguf");
        tiny.WriteGguf(path);

        float[][] exact = LoomLogits(path, Prompt, rounding: ActivationRounding.None);
        float[][] loom = LoomLogits(path, Prompt);
        float[][] emulated = LoomLogits(path, Prompt, rounding: ActivationRounding.LlamaCpp);
        float[][] llama = LlamaCpp.Logits(path, Prompt);
        double[][] reference = ReferenceDecoder.Logits(tiny, Prompt);

        // The f32 path is within f32 rounding of the float64 reference, every type, every position.
        double exactVsRef = MaxAbsDiff(exact, reference);
        Assert.True(exactVsRef <= 1e-4, $"Loom (f32 activations) is {exactVsRef:E2} from the float64 reference");

        // llama.cpp ignores the sliding window of GGUF arch "llama" (Mistral): compare it only where the window has no effect.
        int compared = spec.SlidingWindow ?? Prompt.Length;
        reference = reference[..compared];
        llama = llama[..compared];
        loom = loom[..compared];
        double loomVsLlama = MaxAbsDiff(loom, llama), loomVsRef = MaxAbsDiff(loom, reference), llamaVsRef = MaxAbsDiff(llama, reference);
        double exactVsLlama = MaxAbsDiff(exact[..compared], llama), emulatedVsLlama = MaxAbsDiff(emulated[..compared], llama);
        output.WriteLine($"{arch} {type}: |loom−llama.cpp| {loomVsLlama:E2} (f32 activations {exactVsLlama:E2}, all rounded as llama.cpp {emulatedVsLlama:E2}), " +
            $"|loom−f64| {loomVsRef:E2} (f32 activations {exactVsRef:E2}), |llama.cpp−f64| {llamaVsRef:E2}; max |logit| {reference.Max(r => r.Max(Math.Abs)):F2}");

        // Against llama.cpp, Loom's default engine: F32 to 1e-4 (GPT-2: 1e-3, llama.cpp's GELU goes through an f16 table);
        // F16, BF16 and K-quants keep f32 activations where llama.cpp rounds them (to f16, bf16, 8-bit blocks of 256), so
        // the difference is llama.cpp's rounding: F16 1e-3, BF16 5e-3, K-quants 2e-2. Q8_0 and Q4_0 round activations
        // exactly as llama.cpp does and use exact integer dot products: 1e-4 (the issue asks 2e-2).
        double tolerance = type switch
        {
            GgmlType.F32 => arch == "gpt2" ? 1e-3 : 1e-4,
            GgmlType.F16 => 1e-3,
            GgmlType.BF16 => 5e-3,
            GgmlType.Q8_0 or GgmlType.Q4_0 => 1e-4,
            _ => 2e-2,
        };
        Assert.True(loomVsLlama <= tolerance, $"|loom − llama.cpp| = {loomVsLlama:E2} > {tolerance:E0}");
        // ... and no further from the float64 reference than llama.cpp is.
        Assert.True(loomVsRef <= llamaVsRef + 1e-5, $"Loom ({loomVsRef:E2}) is further from float64 than llama.cpp ({llamaVsRef:E2})");
        // Rounding every activation as llama.cpp does brings Loom closer to it, never further.
        Assert.True(emulatedVsLlama <= exactVsLlama + 1e-5, $"llama.cpp-style rounding moved Loom away: {emulatedVsLlama:E2} vs {exactVsLlama:E2}");
        // The argmax agrees wherever llama.cpp's top two logits are further apart than the two engines' difference.
        for (int t = 0; t < compared; t++)
        {
            var sorted = llama[t].OrderByDescending(v => v).ToArray();
            if (sorted[0] - sorted[1] > loomVsLlama)
                Assert.Equal(Array.IndexOf(llama[t], sorted[0]), Array.IndexOf(loom[t], loom[t].Max()));
        }
    }

    internal static float[][] LoomLogits(string path, int[] tokens, int threads = 2, ActivationRounding rounding = ActivationRounding.Int8)
    {
        using var model = DecoderModel.Load(path, new DecoderOptions { Threads = threads, ActivationRounding = rounding });
        var cache = model.CreateCache(32);
        var logits = new float[tokens.Length * model.VocabularySize];
        model.Forward(tokens, cache, logits);
        return Enumerable.Range(0, tokens.Length).Select(t => logits.AsSpan(t * model.VocabularySize, model.VocabularySize).ToArray()).ToArray();
    }

    internal static double MaxAbsDiff(float[][] a, float[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs((double)x.First - x.Second)));
    internal static double MaxAbsDiff(float[][] a, double[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs(x.First - x.Second)));

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
