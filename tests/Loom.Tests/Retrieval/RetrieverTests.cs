using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

public class RetrieverTests
{
    private static readonly (string Name, string Text)[] Corpus =
    [
        ("cats.md", "# Cats\nCats are small domestic felines that purr and hunt mice."),
        ("dogs.md", "# Dogs\nDogs are loyal domestic canines that bark and fetch sticks."),
        ("tea.md", "# Tea\nGreen tea is brewed from leaves of the camellia plant."),
        ("rust.md", "# Rust\nIron oxide forms when iron reacts with oxygen and water."),
        ("notes/felines.md", "# Big cats\nLions and tigers are large felines; they roar rather than purr."),
    ];

    private static async Task<(TempFolder Folder, DocumentStore Store, HashingEmbeddingGenerator Generator, IndexSummary Summary)> IndexedAsync()
    {
        var folder = new TempFolder();
        foreach (var (name, text) in Corpus) folder.File("corpus/" + name, text);
        var store = DocumentStore.Open(folder.File("s.db"));
        var generator = new HashingEmbeddingGenerator();
        var summary = await new Indexer(store, generator).IndexDirectoryAsync(Path.Combine(folder.Path, "corpus"));
        return (folder, store, generator, summary);
    }

    [Fact]
    public async Task Keyword_dense_and_hybrid_find_the_matching_document()
    {
        var (folder, store, generator, summary) = await IndexedAsync();
        using var _ = folder;
        using var __ = store;
        Assert.Equal(5, summary.Added);
        var retriever = new Retriever(store, generator);
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hits = await retriever.SearchAsync("loyal canines bark", new SearchOptions { Mode = mode, K = 3 });
            Assert.EndsWith("dogs.md", hits[0].Chunk.Path);
            Assert.Equal("Dogs", hits[0].Chunk.Title);
        }
        var exact = await retriever.SearchAsync("felines purr", new SearchOptions { Mode = SearchMode.Dense, DenseIndex = DenseIndexKind.Exact, K = 5 });
        var approximate = await new Retriever(store, generator).SearchAsync("felines purr", new SearchOptions { Mode = SearchMode.Dense, DenseIndex = DenseIndexKind.Hnsw, K = 5 });
        Assert.Equal(exact.Select(h => h.Chunk.Id), approximate.Select(h => h.Chunk.Id)); // 5 vectors: HNSW is exact here
        var filtered = await retriever.SearchAsync("felines purr", new SearchOptions { Mode = SearchMode.Hybrid, K = 5, Filter = new SearchFilter { PathPrefix = Path.Combine(folder.Path, "corpus", "notes") } });
        Assert.All(filtered, h => Assert.Contains("/notes/", h.Chunk.Path));
        Assert.NotEmpty(filtered);
    }

    [Fact]
    public async Task Reindexing_is_incremental_by_content_hash()
    {
        var (folder, store, generator, _) = await IndexedAsync();
        using var _1 = folder;
        using var _2 = store;
        var corpus = Path.Combine(folder.Path, "corpus");
        File.WriteAllText(Path.Combine(corpus, "tea.md"), "# Tea\nBlack tea is oxidised before drying.");
        File.Delete(Path.Combine(corpus, "rust.md"));
        folder.File("corpus/new.txt", "A new plain text file about coffee.");
        File.WriteAllBytes(Path.Combine(corpus, "blob.bin"), [0, 1, 2, 3]);
        var calls = generator.Calls;
        var summary = await new Indexer(store, generator).IndexDirectoryAsync(corpus);
        Assert.Equal((6, 1, 1, 1, 3), (summary.FilesSeen, summary.Added, summary.Updated, summary.Removed, summary.Unchanged));
        Assert.Single(summary.Skipped);
        Assert.Contains("blob.bin", summary.Skipped[0]);
        Assert.Equal(5, summary.DocumentsTotal);
        Assert.Empty(store.KeywordSearch("oxygen", 5));
        Assert.Single(store.KeywordSearch("oxidised", 5));
        Assert.Empty(store.Verify());
        // Only the changed and the new file were embedded (one batch), plus the model probe-free describe.
        Assert.Equal(calls + 1, generator.Calls);
        var again = await new Indexer(store, generator).IndexDirectoryAsync(corpus);
        Assert.Equal(5, again.Unchanged);
        Assert.Equal(0, again.Added + again.Updated + again.Removed);
    }

    [Fact]
    public async Task Dense_search_with_another_model_is_refused()
    {
        var (folder, store, _, _) = await IndexedAsync();
        using var _1 = folder;
        using var _2 = store;
        var other = new Retriever(store, new HashingEmbeddingGenerator(64, "another-model"));
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => other.SearchAsync("cats", new SearchOptions { Mode = SearchMode.Dense }));
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => new Indexer(store, new HashingEmbeddingGenerator(32)).IndexDirectoryAsync(Path.Combine(folder.Path, "corpus")));
    }

    [Fact]
    public async Task Embedding_reranker_orders_candidates_by_similarity()
    {
        var (folder, store, generator, _) = await IndexedAsync();
        using var _1 = folder;
        using var _2 = store;
        var hits = await new Retriever(store, generator).SearchAsync("iron oxide", new SearchOptions { Mode = SearchMode.Keyword, K = 3, Reranker = new EmbeddingReranker(generator) });
        Assert.EndsWith("rust.md", hits[0].Chunk.Path);
        Assert.Equal(hits.OrderByDescending(h => h.Score).Select(h => h.Score), hits.Select(h => h.Score));
    }

    [Fact]
    public async Task Persisted_hnsw_follows_deletions_and_additions()
    {
        var (folder, store, generator, _) = await IndexedAsync();
        using var _1 = folder;
        using var _2 = store;
        var before = VectorIndexes.LoadHnsw(store)!;
        Assert.Equal(store.ChunkCount, before.Count);
        var corpus = Path.Combine(folder.Path, "corpus");
        File.Delete(Path.Combine(corpus, "tea.md"));
        folder.File("corpus/more.md", "# More\nAnother document.");
        await new Indexer(store, generator).IndexDirectoryAsync(corpus);
        var after = VectorIndexes.LoadHnsw(store)!;
        Assert.Equal(store.ChunkIds().Order(), after.LiveIds().Order());
    }
}
