using Loom.Formats;
using Loom.Tests.Decoder;
using Loom.Tokenization;
using Xunit.Abstractions;

namespace Loom.Tests.Tokenization;

/// <summary>
/// The MiniLM WordPiece vocabulary stored as llama.cpp's converter stores BERT vocabularies (tokenizer.ggml.model
/// "bert", word-initial pieces "▁"-prefixed, "##" dropped) and read back by Loom: HF's ids on the fortunes and the
/// hard cases, and llama.cpp's own ids on the fortunes.
/// </summary>
public sealed class GgufWordPieceParityTests(ITestOutputHelper output)
{
    private static GgufWriter MiniLmGguf()
    {
        var vocab = File.ReadAllLines(DefaultModels.Resolve("minilm").VocabPath).Where(l => l.Length > 0).ToArray();
        var tokens = vocab.Select(t => t.StartsWith('[') && t.EndsWith(']') ? t : t.StartsWith("##") ? t[2..] : "\u2581" + t).ToArray();
        int Id(string token) => Array.IndexOf(vocab, token);
        return new GgufWriter()
            .AddMetadata("general.architecture", "bert")
            .AddMetadata("bert.context_length", 512u)
            .AddMetadata("bert.embedding_length", 64u)
            .AddMetadata("bert.block_count", 1u)
            .AddMetadata("bert.feed_forward_length", 128u)
            .AddMetadata("bert.attention.head_count", 4u)
            .AddMetadata("bert.attention.layer_norm_epsilon", 1e-12f)
            .AddMetadata("bert.attention.causal", false)
            .AddMetadata("tokenizer.ggml.model", "bert")
            .AddMetadata("tokenizer.ggml.tokens", tokens)
            .AddMetadata("tokenizer.ggml.token_type", vocab.Select(t => t is "[PAD]" or "[UNK]" or "[CLS]" or "[SEP]" or "[MASK]" ? 3 : 1).ToArray())
            .AddMetadata("tokenizer.ggml.unknown_token_id", (uint)Id("[UNK]"))
            .AddMetadata("tokenizer.ggml.cls_token_id", (uint)Id("[CLS]"))
            .AddMetadata("tokenizer.ggml.seperator_token_id", (uint)Id("[SEP]"))
            .AddMetadata("tokenizer.ggml.padding_token_id", (uint)Id("[PAD]"))
            .AddMetadata("tokenizer.ggml.mask_token_id", (uint)Id("[MASK]"));
    }

    [Fact]
    public void BertVocabularyInGgufEncodesAsHuggingFace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loom-wpm-{Guid.NewGuid():N}.gguf");
        MiniLmGguf().Write(path);
        try
        {
            var loom = TokenizerResolver.Resolve(path);
            var hf = HuggingFaceReference.Load(HuggingFaceReference.BertTokenizerJson(DefaultModels.Resolve("minilm").VocabPath));
            var texts = Fortunes.Entries.Concat(BertWordPieceParityTests.HardCases).ToArray();
            foreach (var text in texts) Assert.Equal(hf.Ids(text), loom.EncodeToIds(text));
            var (llama, _) = LlamaCpp.Tokenize(path, texts);
            var differ = Enumerable.Range(0, texts.Length).Where(i => !llama[i].SequenceEqual(loom.EncodeToIds(texts[i]))).ToList();
            // llama.cpp's own WordPiece agrees on every fortune; on the hard cases it departs from HF (no 100-character
            // word limit, Hangul and Indic marks decomposed differently, vertical tab kept), so those are only reported.
            Assert.DoesNotContain(differ, i => i < Fortunes.Entries.Count);
            output.WriteLine($"llama.cpp differs from HF on {differ.Count} of {texts.Length} texts");
            foreach (var i in differ) output.WriteLine($"{texts[i]}\n llama.cpp {string.Join(",", llama[i])}\n HF {string.Join(",", loom.EncodeToIds(texts[i]))}");
        }
        finally { File.Delete(path); }
    }
}
