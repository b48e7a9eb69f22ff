using Loom.Classification;
using Loom.Clustering;
using Loom.Formats;
using Loom.Tests.Classification;

namespace Loom.Tests.Clustering;

public class TopicModelTests
{
    private static readonly string[][] Themes =
    [
        ["space", "ship", "planet", "star"],
        ["bread", "soup", "cook", "salt"],
        ["kernel", "compiler", "bug", "linux"],
    ];

    private static (string[] Documents, int[] Truth, KeywordEmbeddingGenerator Generator) Corpus(int perTheme = 30, int seed = 1)
    {
        var random = new Random(seed);
        var documents = new List<string>();
        var truth = new List<int>();
        for (int t = 0; t < Themes.Length; t++)
            for (int i = 0; i < perTheme; i++)
            {
                documents.Add("the " + string.Join(" and ", Enumerable.Range(0, 4).Select(_ => Themes[t][random.Next(4)])) + " again");
                truth.Add(t);
            }
        return (documents.ToArray(), truth.ToArray(), new KeywordEmbeddingGenerator(Themes.SelectMany(t => t).ToArray()));
    }

    private static TopicModelOptions Options(ITopicRepresentation? representation = null) => new()
    {
        Reducer = null,
        Clusterer = new Hdbscan(new HdbscanOptions { MinClusterSize = 5 }),
        Representation = representation ?? new ClassTfidfRepresentation(),
        WordsPerTopic = 4,
    };

    [Fact]
    public async Task FindsTheThemesAndDescribesThemByTheirWords()
    {
        var (documents, truth, generator) = Corpus();
        var model = await TopicModel.FitAsync(documents, generator, Options());
        Assert.Equal(1.0, ClusteringMetrics.AdjustedRandIndex(truth, model.Assignments), 12);
        var regular = model.Topics.Where(t => t.Id >= 0).ToList();
        Assert.Equal(3, regular.Count);
        foreach (var topic in regular)
        {
            var theme = Themes.Single(th => th.Contains(topic.Words[0].Word));
            Assert.Equal(theme.Order(), topic.Words.Select(w => w.Word).Order());
            Assert.Equal(3, topic.RepresentativeDocuments.Count);
            Assert.All(topic.RepresentativeDocuments, d => Assert.Contains(d, documents));
            Assert.Equal(30, topic.Size);
        }
        Assert.DoesNotContain(model.Vocabulary, w => w is "the" or "and" or "again"); // English stop words

        var assigned = await model.TransformAsync(["a ship to a planet", "salt the soup"]);
        Assert.Equal(model.Assignments[0], assigned[0].Topic);
        Assert.Equal(model.Assignments[30], assigned[1].Topic);
        var near = await model.FindTopicsAsync("linux kernel", 2);
        Assert.Equal(model.Assignments[60], near[0].Topic.Id);
        Assert.True(near[0].Similarity > near[1].Similarity);
    }

    [Fact]
    public async Task ReducingTopicsMergesAndRenumbersBySize()
    {
        var (documents, _, generator) = Corpus();
        var model = await TopicModel.FitAsync(documents, generator, Options() with { TopicCount = 2 });
        var regular = model.Topics.Where(t => t.Id >= 0).ToList();
        Assert.Equal(2, regular.Count);
        Assert.Equal([60, 30], regular.Select(t => t.Size));
        Assert.Equal(documents.Length, model.Topics.Sum(t => t.Size));
    }

    [Fact]
    public async Task OutliersMoveToTheNearestTopic()
    {
        var (documents, _, generator) = Corpus();
        // Two documents mixing themes sit between the clusters: HDBSCAN leaves them out.
        string[] withOutliers = [.. documents, "ship soup", "planet bread"];
        var model = await TopicModel.FitAsync(withOutliers, generator, Options());
        int outliers = model.Assignments.Count(a => a == -1);
        Assert.True(outliers >= 1);
        Assert.Equal(-1, model.Topics[0].Id);
        int moved = await model.ReduceOutliersAsync();
        Assert.Equal(outliers, moved);
        Assert.DoesNotContain(-1, model.Assignments);
        Assert.DoesNotContain(model.Topics, t => t.Id == -1);
    }

    [Fact]
    public async Task SavedModelAssignsTheSameTopicsAndBadFilesAreRefused()
    {
        var (documents, _, generator) = Corpus();
        var model = await TopicModel.FitAsync(documents, generator, Options());
        string path = Path.Combine(Path.GetTempPath(), $"loom-topics-{Guid.NewGuid():N}.json");
        try
        {
            model.Save(path);
            var loaded = TopicModel.Load(path, generator);
            Assert.Equal(model.Topics.Select(t => (t.Id, t.Size, string.Join(' ', t.Words.Select(w => w.Word)))), loaded.Topics.Select(t => (t.Id, t.Size, string.Join(' ', t.Words.Select(w => w.Word)))));
            string[] fresh = ["bug in the compiler", "cook bread"];
            Assert.Equal(await model.TransformAsync(fresh), await loaded.TransformAsync(fresh));
            await Assert.ThrowsAsync<InvalidOperationException>(() => loaded.ReduceTopicsAsync(1));

            File.WriteAllText(path, File.ReadAllText(path).Replace("\"version\":1", "\"version\":7"));
            Assert.Throws<ModelFormatException>(() => TopicModel.Load(path));
            File.WriteAllText(path, "{\"format\":\"loom.topic-model\",\"version\":1,\"topics\":[{\"id\":3,\"size\":1,\"words\":[],\"scores\":[],\"representativeDocuments\":[]}],\"topicEmbeddings\":[[1]]}");
            Assert.Throws<ModelFormatException>(() => TopicModel.Load(path));
            File.WriteAllText(path, "{\"format\":\"loom.topic-model\"");
            Assert.Throws<ModelFormatException>(() => TopicModel.Load(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task KeyBertAndMmrRankCandidatesByEmbedding()
    {
        var (documents, _, generator) = Corpus();
        var keybert = await TopicModel.FitAsync(documents, generator, Options(new KeyBertInspiredRepresentation(generator)));
        foreach (var topic in keybert.Topics.Where(t => t.Id >= 0))
            Assert.True(topic.Words.Zip(topic.Words.Skip(1), (a, b) => a.Score >= b.Score).All(x => x)); // sorted by similarity

        // MMR on hand-made vectors: "car" is most relevant; "auto" duplicates it; with high diversity "road" comes second.
        var vectors = new Dictionary<string, float[]> { ["car"] = [1, 0.1f, 0], ["auto"] = [1, 0.12f, 0], ["road"] = [0.6f, 0, 0.8f] };
        float[] target = [1, 0, 0.3f];
        var relevant = MaximalMarginalRelevanceRepresentation.Select(["car", "auto", "road"], w => vectors[w], target, 2, 0.0);
        var diverse = MaximalMarginalRelevanceRepresentation.Select(["car", "auto", "road"], w => vectors[w], target, 2, 0.7);
        Assert.Equal(["car", "auto"], relevant.Select(w => w.Word));
        Assert.Equal(["car", "road"], diverse.Select(w => w.Word));
    }

    [Fact]
    public async Task ChatLabelerAsksWithKeywordsAndDocuments()
    {
        var (documents, _, generator) = Corpus();
        var client = new ScriptedChatClient(messages => messages[0].Text.Contains("planet") ? "\"Space travel\"" : "Other things");
        var model = await TopicModel.FitAsync(documents, generator, Options(new ChatTopicLabeler(client)));
        var space = model.Topics.Single(t => t.Id == model.Assignments[0]);
        Assert.Equal("Space travel", space.Label);
        Assert.Equal(3, client.Requests.Count);
        Assert.Contains("keywords:", client.Requests[0][0].Text);
    }

    [Fact]
    public async Task AllDuplicateDocumentsAreAllOutliers()
    {
        var generator = new KeywordEmbeddingGenerator("ship", "soup");
        string[] same = Enumerable.Repeat("the ship sails", 40).ToArray();
        var model = await TopicModel.FitAsync(same, generator, new TopicModelOptions
        {
            Reducer = new Umap(new UmapOptions { Components = 2, Neighbors = 5, Epochs = 20 }),
            Clusterer = new Hdbscan(new HdbscanOptions { MinClusterSize = 5 }),
        });
        Assert.All(model.Assignments, a => Assert.Equal(-1, a));
        Assert.Equal([-1], model.Topics.Select(t => t.Id));
        await Assert.ThrowsAsync<InvalidOperationException>(() => model.TransformAsync(["ship"]));
    }

    [Fact]
    public async Task RefusesTooFewDocumentsAndMismatchedEmbeddings()
    {
        var generator = new KeywordEmbeddingGenerator("a");
        await Assert.ThrowsAsync<ArgumentException>(() => TopicModel.FitAsync(["one", "two"], generator));
        await Assert.ThrowsAsync<ArgumentException>(() => TopicModel.FitAsync(["one", "two", "three"], [[1f], [2f]], null));
    }
}
