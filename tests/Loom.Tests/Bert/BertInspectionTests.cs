using Loom.Embeddings;
using Loom.Models.Bert;

namespace Loom.Tests.Bert;

public class BertInspectionTests
{
    [Fact]
    public void CapturesHiddenStatesAndAttentionOfEveryLayer()
    {
        using var encoder = SentenceEncoder.Create("minilm");
        var ids = encoder.Tokenize("The cat sat on the mat because it was tired.");
        var capture = encoder.Model.Inspect(ids);
        var c = encoder.Model.Config;
        Assert.Equal(c.Layers + 1, capture.HiddenStates.Count);
        Assert.Equal(c.Layers, capture.Attentions.Count);
        Assert.All(capture.HiddenStates, h => Assert.Equal(ids.Length * c.HiddenSize, h.Length));

        // Every attention row is a probability distribution.
        for (int l = 0; l < c.Layers; l++)
            for (int h = 0; h < c.Heads; h++)
                for (int i = 0; i < ids.Length; i++)
                {
                    float sum = 0;
                    for (int j = 0; j < ids.Length; j++)
                    {
                        float p = capture.Attention(l, h, i, j);
                        Assert.InRange(p, 0f, 1f);
                        sum += p;
                    }
                    Assert.Equal(1f, sum, 1e-5f);
                }

        // The last captured state is exactly what a normal run returns (the contextual token embeddings).
        var (tokens, embeddings) = encoder.EmbedTokensInContext("The cat sat on the mat because it was tired.");
        Assert.Equal(ids, tokens);
        for (int i = 0; i < ids.Length; i++)
            Assert.Equal(embeddings[i], capture.HiddenStates[^1].AsSpan(i * c.HiddenSize, c.HiddenSize).ToArray());
        // Attention changes the representation: layer 0 input differs from the output.
        Assert.NotEqual(capture.HiddenStates[0], capture.HiddenStates[^1]);
    }

    [Fact]
    public void CaptureTakesOneSequence()
    {
        using var encoder = SentenceEncoder.Create("minilm");
        var capture = new BertCapture(3, 12, 384);
        Assert.Throws<ArgumentException>(() => encoder.Model.Run([[101, 102], [101, 102]], new BertWorkspace(), capture: capture));
    }
}
