using System.Text.Json;
using System.Text.Json.Serialization;
using Loom.Formats;
using Microsoft.Extensions.AI;

namespace Loom.Classification;

/// <summary>The JSON file of a <see cref="TextClassifier"/>: format name, version, labels, featuriser state and weights.</summary>
internal static class TextClassifierFile
{
    public const string Format = "loom.text-classifier";
    public const int Version = 1;

    internal sealed record Dto(
        string Format, int Version, string Features, string[] Labels, int Dimension, float[] Weights, float[] Bias,
        string? EmbeddingModel, TfidfDto? Tfidf);

    internal sealed record TfidfDto(string[] Vocabulary, float[] Idf, bool Lowercase, int MinNGram, int MaxNGram, string[]? StopWords, bool SublinearTf);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write(string path, TextClassifier classifier)
    {
        var model = classifier.Model;
        TfidfDto? tfidf = null;
        if (classifier.Featurizer is TfidfFeaturizer t)
        {
            var o = t.Vectorizer.Counts.Options;
            tfidf = new TfidfDto(t.Vectorizer.Counts.Vocabulary.ToArray(), t.Vectorizer.InverseDocumentFrequency.ToArray(), o.Lowercase,
                o.MinNGram, o.MaxNGram, o.StopWords?.Order(StringComparer.Ordinal).ToArray(), t.Vectorizer.SublinearTf);
        }
        else if (classifier.Featurizer is not EmbeddingFeaturizer)
            throw new NotSupportedException($"a classifier with a {classifier.Featurizer.GetType().Name} cannot be saved");
        var dto = new Dto(Format, Version, classifier.Featurizer.Kind, classifier.Labels.ToArray(), model.Dimension,
            Array.ConvertAll(model.Weights.ToArray(), w => (float)w), Array.ConvertAll(model.Bias.ToArray(), b => (float)b),
            classifier.EmbeddingModelId, tfidf);
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(stream, dto, Json);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public static TextClassifier Read(string path, IEmbeddingGenerator<string, Embedding<float>>? generator)
    {
        Dto? dto;
        try
        {
            using var stream = File.OpenRead(path);
            dto = JsonSerializer.Deserialize<Dto>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, e.BytePositionInLine ?? -1, $"not a valid classifier file: {e.Message}", e);
        }
        if (dto is null) throw new ModelFormatException(path, "empty classifier file");
        void Require(bool condition, string problem)
        {
            if (!condition) throw new ModelFormatException(path, problem);
        }
        Require(dto.Format == Format, $"format is '{dto.Format}', expected '{Format}'");
        Require(dto.Version == Version, $"version {dto.Version} is not supported (this Loom reads version {Version})");
        Require(dto.Labels is { Length: >= 2 }, "fewer than two labels");
        Require(dto.Labels.Distinct(StringComparer.Ordinal).Count() == dto.Labels.Length && dto.Labels.All(l => !string.IsNullOrWhiteSpace(l)), "labels are empty or repeated");
        Require(dto.Dimension > 0, "dimension must be positive");
        Require(dto.Bias is not null && dto.Bias.Length == dto.Labels.Length, "one bias per label is needed");
        Require(dto.Weights is not null && dto.Weights.LongLength == (long)dto.Labels.Length * dto.Dimension, "weights do not match labels × dimension");
        Require(dto.Weights!.All(float.IsFinite) && dto.Bias!.All(float.IsFinite), "weights are not finite numbers");
        var model = new LogisticRegression(dto.Labels.Length, dto.Dimension, Array.ConvertAll(dto.Weights!, w => (double)w), Array.ConvertAll(dto.Bias!, b => (double)b));

        ITextFeaturizer featurizer;
        switch (dto.Features)
        {
            case "tfidf":
                var t = dto.Tfidf;
                Require(t is not null, "a tfidf model needs its vocabulary");
                Require(t!.Vocabulary is not null && t.Idf is not null && t.Vocabulary.Length == dto.Dimension && t.Idf.Length == dto.Dimension, "vocabulary or idf do not match the dimension");
                Require(t.Idf!.All(v => float.IsFinite(v) && v > 0), "idf values must be positive");
                Require(t.MinNGram >= 1 && t.MaxNGram >= t.MinNGram && t.MaxNGram <= 8, "bad n-gram range");
                Require(t.Vocabulary!.Distinct(StringComparer.Ordinal).Count() == t.Vocabulary!.Length, "repeated vocabulary terms");
                var counts = CountVectorizer.FromVocabulary(t.Vocabulary!, new CountVectorizerOptions
                {
                    Lowercase = t.Lowercase, MinNGram = t.MinNGram, MaxNGram = t.MaxNGram,
                    StopWords = t.StopWords is null ? null : new HashSet<string>(t.StopWords, StringComparer.Ordinal),
                });
                featurizer = new TfidfFeaturizer(TfidfVectorizer.FromParts(counts, t.Idf!, t.SublinearTf));
                break;
            case "embeddings":
                if (generator is null)
                    throw new ArgumentException($"{Path.GetFileName(path)} classifies embeddings of '{dto.EmbeddingModel ?? "an unnamed model"}': an embedding generator is needed");
                string? modelId = EmbeddingBatches.ModelId(generator);
                if (dto.EmbeddingModel is not null && modelId is not null && modelId != dto.EmbeddingModel)
                    throw new ArgumentException($"{Path.GetFileName(path)} was trained on '{dto.EmbeddingModel}' embeddings, not '{modelId}'");
                featurizer = new EmbeddingFeaturizer(generator);
                break;
            default:
                throw new ModelFormatException(path, $"unknown features '{dto.Features}'");
        }
        return new TextClassifier(featurizer, dto.Labels, model, dto.EmbeddingModel);
    }
}
