using Loom.Retrieval;
using Microsoft.Data.Sqlite;

namespace Loom.Tests.Retrieval;

public class DocumentStoreTests
{
    private static DocumentWrite Doc(string path, params string[] chunks) =>
        new(path, Path.GetFileName(path), "h-" + string.Join("|", chunks).GetHashCode(), chunks.Select(c => new TextChunk("", c, c)).ToList(), null);

    [Fact]
    public void Rewriting_a_document_replaces_its_chunks_and_full_text_rows_without_duplicates()
    {
        using var folder = new TempFolder();
        using var store = DocumentStore.Open(folder.File("s.db"));
        store.Commit([Doc("/a", "apples are red", "bananas are yellow"), Doc("/b", "cherries")]);
        store.Commit([Doc("/a", "apples only")]);
        Assert.Equal(2, store.DocumentCount);
        Assert.Equal(2, store.ChunkCount);
        Assert.Empty(store.KeywordSearch("bananas", 10));
        Assert.Single(store.KeywordSearch("apples", 10));
        store.Commit([], ["/b"]);
        Assert.Equal(1, store.DocumentCount);
        Assert.Empty(store.Verify());
    }

    [Fact]
    public void Hostile_query_text_is_searched_for_never_parsed_as_FTS_syntax()
    {
        using var folder = new TempFolder();
        using var store = DocumentStore.Open(folder.File("s.db"));
        store.Commit([Doc("/a", "the NEAR operator and OR keywords, with \"quotes\" and col:umns")]);
        string[] queries = ["\"", "AND", "OR OR", "NOT", "a* (b", "NEAR(x y)", "col:umns", "'; DROP TABLE chunks; --", "^start", "{a b}", "", "   ", "\u0000", "日本語"];
        foreach (var q in queries) _ = store.KeywordSearch(q, 5);
        Assert.Single(store.KeywordSearch("NEAR(operator)", 5));
        Assert.Single(store.KeywordSearch("col:umns", 5));
        Assert.Equal(1, store.DocumentCount);
    }

    [Fact]
    public void A_store_refuses_embeddings_of_another_model_or_dimension()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.db");
        using (var store = DocumentStore.Open(path))
            store.Commit([Doc("/a", "x") with { Embeddings = [new float[] { 1, 0, 0 }] }], model: new EmbeddingModelInfo("m1", 3));
        using var reopened = DocumentStore.Open(path);
        Assert.Equal(new EmbeddingModelInfo("m1", 3), reopened.Model);
        var other = Assert.Throws<EmbeddingModelMismatchException>(() =>
            reopened.Commit([Doc("/b", "y") with { Embeddings = [new float[] { 1, 0, 0 }] }], model: new EmbeddingModelInfo("m2", 3)));
        Assert.Contains("m1", other.Message);
        Assert.Throws<EmbeddingModelMismatchException>(() => reopened.EnsureModel(new EmbeddingModelInfo("m1", 4)));
        Assert.Equal(1, reopened.DocumentCount);
    }

    [Fact]
    public void Corrupt_foreign_and_truncated_files_raise_StoreFormatException()
    {
        using var folder = new TempFolder();
        var garbage = folder.File("garbage.db", new string('z', 10_000));
        Assert.Contains("not a SQLite database", Assert.Throws<StoreFormatException>(() => DocumentStore.Open(garbage)).Problem);

        var foreign = folder.File("foreign.db");
        using (var connection = new SqliteConnection($"Data Source={foreign};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers(id INTEGER)";
            command.ExecuteNonQuery();
        }
        Assert.Contains("not a Loom store", Assert.Throws<StoreFormatException>(() => DocumentStore.Open(foreign)).Problem);

        var good = folder.File("good.db");
        using (var store = DocumentStore.Open(good)) store.Commit([Doc("/a", "some text to make the file bigger")]);
        var bytes = File.ReadAllBytes(good);
        var truncated = folder.File("truncated.db");
        File.WriteAllBytes(truncated, bytes[..100]);
        Assert.Throws<StoreFormatException>(() => { using var s = DocumentStore.Open(truncated); _ = s.DocumentCount; });
        Assert.Throws<StoreFormatException>(() => DocumentStore.Open(folder.File("absent.db"), readOnly: true));
    }

    [Fact]
    public void A_reader_sees_committed_batches_while_a_writer_holds_a_transaction()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.db");
        using var writer = DocumentStore.Open(path);
        writer.Commit([Doc("/a", "first batch")]);
        using var reader = DocumentStore.Open(path, readOnly: true);
        // Hold a write transaction open on a raw connection, as an ingesting process would.
        using var raw = new SqliteConnection($"Data Source={path};Pooling=False");
        raw.Open();
        using var transaction = raw.BeginTransaction();
        using (var command = raw.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO documents(path, title, hash, chunk_count) VALUES ('/pending', 't', 'h', 0)";
            command.ExecuteNonQuery();
        }
        Assert.Equal(1, reader.DocumentCount);
        Assert.Single(reader.KeywordSearch("first", 5));
        transaction.Rollback();
    }

    [Fact]
    public void Filters_restrict_keyword_results_by_path_prefix_section_and_title()
    {
        using var folder = new TempFolder();
        using var store = DocumentStore.Open(folder.File("s.db"));
        store.Commit([
            new DocumentWrite("/docs/a.md", "Guide", "1", [new TextChunk("Install", "install the tool", "install the tool"), new TextChunk("Usage", "use the tool", "use the tool")], null),
            new DocumentWrite("/other/b.md", "Notes", "2", [new TextChunk("Install", "install notes tool", "install notes tool")], null),
        ]);
        Assert.Equal(3, store.KeywordSearch("tool", 10).Count);
        Assert.Equal(2, store.KeywordSearch("tool", 10, new SearchFilter { PathPrefix = "/docs/" }).Count);
        Assert.Equal(2, store.KeywordSearch("tool", 10, new SearchFilter { Section = "install" }).Count);
        Assert.Single(store.KeywordSearch("tool", 10, new SearchFilter { Section = "install", TitleContains = "note" }));
    }

    [Fact]
    public void A_vector_index_larger_than_a_part_is_stored_in_parts_and_read_back_whole()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.db");
        var big = new byte[10_000];
        new Random(3).NextBytes(big);
        var small = big[..2_500].Reverse().ToArray();
        using (var store = DocumentStore.Open(path))
        {
            store.WriteIndex("hnswx", [1, 2, 3]);
            store.WriteIndex("hnsw", big, partBytes: 3_000);
            Assert.Equal(5, Rows());
            Assert.Equal(big, store.ReadIndex("hnsw"));
            store.WriteIndex("hnsw", small, partBytes: 3_000); // the stale parts of the longer blob must go
            Assert.Equal(2, Rows());
        }
        using (var reopened = DocumentStore.Open(path, readOnly: true))
        {
            Assert.Equal(small, reopened.ReadIndex("hnsw"));
            Assert.Equal([1, 2, 3], reopened.ReadIndex("hnswx"));
            Assert.Null(reopened.ReadIndex("absent"));
        }

        long Rows()
        {
            using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM vector_indexes";
            return (long)command.ExecuteScalar()!;
        }
    }

    [Fact]
    public void A_vector_index_part_fits_SQLite_s_value_length_limit()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        var limit = SQLitePCL.raw.sqlite3_limit(connection.Handle, SQLitePCL.raw.SQLITE_LIMIT_LENGTH, -1);
        Assert.InRange(DocumentStore.IndexPartBytes, 1 << 20, limit);
        Assert.True(limit < Array.MaxLength, "SQLite's limit is below a .NET array's, so a serialized graph can exceed it");
    }
}
