using Loom.Formats;
using System.Diagnostics;
using Loom.Embeddings;
using Loom.Models.Bert;
using Xunit.Abstractions;

namespace Loom.Tests.Bert;

/// <summary>
/// Loom's encoder against ONNX Runtime on the same graph and the same token ids (real fortunes): the last hidden state of
/// every real token within 1e-4 absolute, and every sentence embedding at cosine ≥ 0.99999.
/// The test runs <see cref="Sentences"/> sentences per model to stay within the suite's budget; the "encoder" bench
/// suite runs the same check on 2048 (<c>EncoderBench</c>).
/// </summary>
[Collection(Loom.Tests.Tensors.KernelPathCollection.Name)]
public class BertParityTests(ITestOutputHelper output)
{
    private const int Sentences = 300;

    /// <summary>On the machine's best kernel path all <see cref="Sentences"/>; the other vector paths (forced) on 48.</summary>
    public static TheoryData<string, Loom.Tensors.KernelPath> Cases()
    {
        var data = new TheoryData<string, Loom.Tensors.KernelPath>();
        foreach (var name in new[] { "minilm", "arctic-xs" })
            foreach (var path in new[] { Loom.Tensors.KernelPath.Avx512, Loom.Tensors.KernelPath.Avx2 })
                if (Loom.Tensors.Kernels.IsSupported(path)) data.Add(name, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesOnnxRuntimeOnFortunes(string name, Loom.Tensors.KernelPath path)
    {
        bool best = path == Loom.Tensors.Kernels.Path;
        Loom.Tests.Tensors.KernelPathCollection.On(path, () => Compare(name, best ? Sentences : 48, path));
    }

    private void Compare(string name, int sentences, Loom.Tensors.KernelPath path)
    {
        using var encoder = SentenceEncoder.Create(name, new SentenceEncoderOptions { Threads = 2 });
        var ids = Fortunes.Read().Take(sentences).Select(encoder.Tokenize).OrderBy(s => s.Length).ToArray();
        using var reference = new OnnxRuntimeReference(DefaultModels.Resolve(name).ModelPath, threads: 2);

        var workspace = new BertWorkspace();
        int d = encoder.Dimensions;
        double worstAbs = 0, worstCos = 1;
        var loomTime = new Stopwatch();
        var ortTime = new Stopwatch();
        foreach (var batch in ids.Chunk(32))
        {
            loomTime.Start();
            encoder.Model.Run(batch, workspace, threads: 2);
            loomTime.Stop();
            ortTime.Start();
            var expected = reference.LastHiddenState(batch);
            ortTime.Stop();
            for (int s = 0; s < batch.Length; s++)
            {
                var actual = workspace.SequenceHidden(s);
                Assert.Equal(expected[s].Length, actual.Length);
                for (int k = 0; k < actual.Length; k++) worstAbs = Math.Max(worstAbs, Math.Abs(actual[k] - expected[s][k]));
                var a = new float[d];
                var e = new float[d];
                Pooling.Pool(actual, encoder.Pooling, a);
                Pooling.Pool(expected[s], encoder.Pooling, e);
                worstCos = Math.Min(worstCos, Pooling.Cosine(a, e));
            }
        }
        output.WriteLine($"{name} on {path}: {ids.Length} sentences, {ids.Sum(i => i.Length)} tokens; max |Δ| last_hidden_state {worstAbs:E2}; " +
            $"min cosine {worstCos:F7}; Loom {loomTime.ElapsedMilliseconds} ms, ONNX Runtime {ortTime.ElapsedMilliseconds} ms");
        Assert.True(worstAbs <= 1e-4, $"max |Δ| = {worstAbs:E3}");
        Assert.True(worstCos >= 0.99999, $"min cosine = {worstCos:F7}");
    }
}
