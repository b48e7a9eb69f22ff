using System.Text.Json;
using Loom.Classification;
using Loom.Formats;
using Microsoft.Extensions.AI;

namespace Loom.Clustering;

public sealed partial class TopicModel
{
    private const string FileFormat = "loom.topic-model";
    private const int FileVersion = 1;

    private sealed record TopicDto(int Id, int Size, string[] Words, float[] Scores, string? Label, string[] RepresentativeDocuments);
    private sealed record FileDto(string Format, int Version, string? EmbeddingModel, TopicDto[] Topics, float[][] TopicEmbeddings);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// Writes the topics and topic embeddings as versioned JSON (replaced atomically). A loaded model assigns and
    /// searches topics; changing its topics needs a refit, since the documents are not saved.
    /// </summary>
    public void Save(string path)
    {
        var dto = new FileDto(FileFormat, FileVersion, EmbeddingModelId,
            _topics.Select(t => new TopicDto(t.Id, t.Size, t.Words.Select(w => w.Word).ToArray(), t.Words.Select(w => w.Score).ToArray(), t.Label, t.RepresentativeDocuments.ToArray())).ToArray(),
            _topicEmbeddings);
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

    /// <summary>Reads a model written by <see cref="Save"/>; throws <see cref="ModelFormatException"/> for an invalid file.</summary>
    public static TopicModel Load(string path, IEmbeddingGenerator<string, Embedding<float>>? generator = null)
    {
        FileDto? dto;
        try
        {
            using var stream = File.OpenRead(path);
            dto = JsonSerializer.Deserialize<FileDto>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, e.BytePositionInLine ?? -1, $"not a valid topic model file: {e.Message}", e);
        }
        void Require(bool condition, string problem)
        {
            if (!condition) throw new ModelFormatException(path, problem);
        }
        Require(dto is not null, "empty topic model file");
        Require(dto!.Format == FileFormat, $"format is '{dto.Format}', expected '{FileFormat}'");
        Require(dto.Version == FileVersion, $"version {dto.Version} is not supported (this Loom reads version {FileVersion})");
        Require(dto.Topics is not null && dto.TopicEmbeddings is not null, "topics or topic embeddings missing");
        var regular = dto.Topics!.Where(t => t is not null && t.Id >= 0).OrderBy(t => t.Id).ToArray();
        Require(dto.Topics!.All(t => t is not null && t.Id >= -1 && t.Size >= 0 && t.Words is not null && t.Scores is not null && t.Words.Length == t.Scores.Length && t.RepresentativeDocuments is not null), "a topic entry is malformed");
        Require(regular.Select(t => t.Id).SequenceEqual(Enumerable.Range(0, regular.Length)), "topic ids must be 0, 1, … without gaps");
        Require(dto.TopicEmbeddings!.Length == regular.Length, "one embedding per topic is needed");
        int dimension = dto.TopicEmbeddings.Length == 0 ? 0 : dto.TopicEmbeddings[0]?.Length ?? 0;
        Require(dto.TopicEmbeddings.All(e => e is not null && e.Length == dimension && e.Length > 0 && e.All(float.IsFinite)), "topic embeddings are malformed");
        string? modelId = generator is null ? null : EmbeddingBatches.ModelId(generator);
        if (generator is not null && dto.EmbeddingModel is not null && modelId is not null && modelId != dto.EmbeddingModel)
            throw new ArgumentException($"{Path.GetFileName(path)} was fitted on '{dto.EmbeddingModel}' embeddings, not '{modelId}'");
        var topics = dto.Topics!.OrderBy(t => t.Id).Select(t => new Topic(t.Id, t.Size, t.Words.Zip(t.Scores, (w, s) => new TopicWord(w, s)).ToArray(), t.Label, t.RepresentativeDocuments)).ToList();
        return new TopicModel(generator, new TopicModelOptions(), topics, dto.TopicEmbeddings!, [], null, null, dto.EmbeddingModel);
    }
}
