using Loom.Formats;

namespace Loom.Tests;

public class DefaultModelsTests
{
    [Theory]
    [InlineData("minilm", 30522)]
    [InlineData("arctic-xs", 30522)]
    public void ExtractsOnnxGraphAndVocabulary(string name, int vocabularySize)
    {
        var files = DefaultModels.Resolve(name);
        // An ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08.
        using (var model = File.OpenRead(files.ModelPath))
        {
            Assert.Equal(0x08, model.ReadByte());
            Assert.True(model.Length > 20_000_000, $"model is only {model.Length} bytes");
        }
        var vocab = File.ReadAllLines(files.VocabPath);
        Assert.Equal(vocabularySize, vocab.Length);
        Assert.Equal("[PAD]", vocab[0]);
        Assert.Contains("[CLS]", vocab);
    }

    [Fact]
    public void UnknownNameIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => DefaultModels.Resolve("gpt-17"));
        Assert.Contains("minilm", error.Message);
    }
}
