using System.Text.Json;
using Loom.Cli.Commands;

namespace Loom.Tests.Cli;

public class InfoDefaultModelTests
{
    /// <summary>BERT's parameter count from its shape alone (embeddings, L blocks, pooler), as PyTorch counts it.</summary>
    private static long BertParameters(long vocab, long hidden, long layers, long intermediate, long positions, long types, bool pooler)
    {
        long embeddings = (vocab + positions + types) * hidden + 2 * hidden;
        long attention = 4 * (hidden * hidden + hidden) + 2 * hidden;
        long feedForward = hidden * intermediate + intermediate + intermediate * hidden + hidden + 2 * hidden;
        return embeddings + layers * (attention + feedForward) + (pooler ? hidden * hidden + hidden : 0);
    }

    [Theory]
    [InlineData("minilm", "sentence-transformers/all-MiniLM-L6-v2", 6, 12, true)]
    [InlineData("arctic-xs", "Snowflake/snowflake-arctic-embed-xs", 6, 12, false)] // its export has no pooler
    public void SummarisesThePackagedModel(string name, string modelId, int layers, int heads, bool pooler)
    {
        var summary = InfoCommand.Read(name);
        var hyper = summary.HyperParameters.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("bert", summary.Architecture);
        Assert.Equal(modelId, summary.Name);
        Assert.Equal(layers.ToString(), hyper["num_hidden_layers"]);
        Assert.Equal(heads.ToString(), hyper["num_attention_heads"]);
        Assert.Equal("384", hyper["hidden_size"]);
        Assert.Equal(BertParameters(30522, 384, layers, 1536, 512, 2, pooler), summary.ParameterCount);
        Assert.Equal(30522, summary.Tokenizer!.VocabSize);
        Assert.Contains(summary.Tokenizer.SpecialTokens, t => t.Value == "[CLS] (101)");
        Assert.False(summary.HasChatTemplate);
    }

    [Fact]
    public void JsonOutputIsOneParsableObject()
    {
        using var document = JsonDocument.Parse(InfoCommand.ToJson(InfoCommand.Read("minilm")));
        Assert.Equal("bert", document.RootElement.GetProperty("architecture").GetString());
        // all-MiniLM-L6-v2 has 22,713,216 parameters with its pooler (the model card's 22.7M).
        Assert.Equal(22_713_216, document.RootElement.GetProperty("parameterCount").GetInt64());
    }
}
