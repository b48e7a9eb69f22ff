using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Loom.Retrieval;

/// <summary>
/// Loom's document store: one SQLite file with documents, chunks, float32 embeddings (model name and dimension
/// recorded; mixing models is refused), an FTS5 index for BM25, and persisted vector indexes.
/// Each <see cref="Commit"/> is one transaction in WAL mode: a process killed at any moment leaves every committed
/// batch and nothing of the interrupted one; other processes can read while one writes.
/// Vector indexes are loaded on the first dense search and dropped by this instance's writes; reopen to see other
/// processes' writes to vectors. An instance is not thread-safe; open one per thread or process.
/// </summary>
public sealed partial class DocumentStore : IRetrievalStore, IDisposable
{
    private const string SchemaVersion = "loom-retrieval/1";
    private readonly SqliteConnection _connection;
    // Microsoft.Data.Sqlite requires every command to name the open transaction; helpers pick it up from here.
    private SqliteTransaction? _transaction;

    // Vector indexes loaded on first dense search; any write drops them.
    private ExactVectorIndex? _exact;
    private HnswIndex? _hnsw;

    /// <summary>The file this store lives in.</summary>
    public string FilePath { get; }

    string IRetrievalStore.Name => FilePath;

    /// <summary>Opened read-only: searches work, writes (and persisting a rebuilt HNSW graph) do not.</summary>
    public bool IsReadOnly { get; }

    private DocumentStore(string path, SqliteConnection connection, bool readOnly)
    {
        IsReadOnly = readOnly;
        FilePath = path;
        _connection = connection;
    }

    /// <summary>Opens the store at <paramref name="path"/>, creating it (and its folder) when absent.
    /// A file that is not a Loom store raises <see cref="StoreFormatException"/>.</summary>
    public static DocumentStore Open(string path, bool readOnly = false)
    {
        path = System.IO.Path.GetFullPath(path);
        if (readOnly && !File.Exists(path)) throw new StoreFormatException(path, "no store here (index a folder first)");
        if (!readOnly) Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 60,
        }.ToString());
        try
        {
            connection.Open();
            var store = new DocumentStore(path, connection, readOnly);
            store.Initialize(readOnly);
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StoreFormatException(path, e.SqliteErrorCode switch
            {
                26 => "not a SQLite database (the file is corrupt or something else)",
                11 => "the database is corrupt",
                _ => $"cannot open the store: {e.Message}",
            }, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Initialize(bool readOnly)
    {
        Execute("PRAGMA busy_timeout = 60000;");
        var tables = Query("SELECT name FROM sqlite_master WHERE type = 'table'", r => r.GetString(0)).ToHashSet();
        if (tables.Contains("loom_meta"))
        {
            var schema = Meta("schema");
            if (schema != SchemaVersion) throw new StoreFormatException(FilePath, $"unknown store schema '{schema}' (this Loom reads '{SchemaVersion}')");
            if (!readOnly) Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            return;
        }
        if (tables.Count > 0) throw new StoreFormatException(FilePath, "a SQLite database that is not a Loom store");
        if (readOnly) throw new StoreFormatException(FilePath, "empty database, not a Loom store");
        Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        using var transaction = _connection.BeginTransaction();
        Execute("""
            CREATE TABLE loom_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT NOT NULL, hash TEXT NOT NULL, chunk_count INTEGER NOT NULL);
            CREATE TABLE chunks(id INTEGER PRIMARY KEY AUTOINCREMENT, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                ordinal INTEGER NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL, context TEXT, embedding BLOB, UNIQUE(document_id, ordinal));
            CREATE VIRTUAL TABLE chunks_fts USING fts5(text, title, section, tokenize = 'porter unicode61');
            CREATE TABLE vector_indexes(name TEXT PRIMARY KEY, data BLOB NOT NULL);
            """, transaction);
        SetMeta("schema", SchemaVersion, transaction);
        transaction.Commit();
    }

    /// <summary>The model whose vectors the store holds; null until the first embedded document is written.</summary>
    public EmbeddingModelInfo? Model
    {
        get
        {
            var name = Meta("embedding_model");
            return name is null ? null : new EmbeddingModelInfo(name, int.Parse(Meta("embedding_dimensions")!, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Throws <see cref="EmbeddingModelMismatchException"/> if the store holds vectors of another model.</summary>
    public void EnsureModel(EmbeddingModelInfo model)
    {
        var stored = Model;
        if (stored is not null && stored != model) throw new EmbeddingModelMismatchException(FilePath, stored, model);
    }

    public int DocumentCount => Scalar<long>("SELECT count(*) FROM documents") is var n ? (int)n : 0;
    public int ChunkCount => Scalar<long>("SELECT count(*) FROM chunks") is var n ? (int)n : 0;

    /// <summary>Content hashes of the stored documents whose path starts with <paramref name="pathPrefix"/> (all when null).</summary>
    public Dictionary<string, string> DocumentHashes(string? pathPrefix = null)
    {
        using var command = Command("SELECT path, hash FROM documents WHERE @prefix IS NULL OR substr(path, 1, length(@prefix)) = @prefix");
        command.Parameters.AddWithValue("@prefix", (object?)pathPrefix ?? DBNull.Value);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read()) result[reader.GetString(0)] = reader.GetString(1);
        return result;
    }

    /// <summary>Writes a batch in one transaction: each document replaces any stored one of the same path (chunks, vectors and
    /// FTS rows together), and each removal deletes a document. <paramref name="model"/> is required when documents carry embeddings.</summary>
    public void Commit(IReadOnlyList<DocumentWrite> documents, IReadOnlyList<string>? removals = null, EmbeddingModelInfo? model = null)
    {
        using var transaction = _transaction = _connection.BeginTransaction();
        try
        {
            (_exact, _hnsw) = (null, null);
            Write(documents, removals, model, transaction);
            transaction.Commit();
        }
        finally
        {
            _transaction = null;
        }
    }

    private void Write(IReadOnlyList<DocumentWrite> documents, IReadOnlyList<string>? removals, EmbeddingModelInfo? model, SqliteTransaction transaction)
    {
        if (documents.Any(d => d.Embeddings is not null))
        {
            if (model is null) throw new ArgumentException("documents carry embeddings but no model was named", nameof(model));
            EnsureModel(model);
            if (Meta("embedding_model", transaction) is null)
            {
                SetMeta("embedding_model", model.Name, transaction);
                SetMeta("embedding_dimensions", model.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture), transaction);
            }
        }
        foreach (var path in removals ?? []) Delete(path, transaction);

        using var insertDocument = Command("INSERT INTO documents(path, title, hash, chunk_count) VALUES (@path, @title, @hash, @count) RETURNING id", transaction);
        using var insertChunk = Command("INSERT INTO chunks(document_id, ordinal, section, text, context, embedding) VALUES (@doc, @ordinal, @section, @text, @context, @embedding) RETURNING id", transaction);
        using var insertFts = Command("INSERT INTO chunks_fts(rowid, text, title, section) VALUES (@id, @text, @title, @section)", transaction);
        foreach (var document in documents)
        {
            if (document.Embeddings is { } e && e.Count != document.Chunks.Count)
                throw new ArgumentException($"{document.Path}: {document.Chunks.Count} chunks but {e.Count} embeddings");
            Delete(document.Path, transaction);
            insertDocument.Parameters.Clear();
            insertDocument.Parameters.AddWithValue("@path", document.Path);
            insertDocument.Parameters.AddWithValue("@title", document.Title);
            insertDocument.Parameters.AddWithValue("@hash", document.ContentHash);
            insertDocument.Parameters.AddWithValue("@count", document.Chunks.Count);
            var documentId = (long)insertDocument.ExecuteScalar()!;
            for (var i = 0; i < document.Chunks.Count; i++)
            {
                var chunk = document.Chunks[i];
                object embedding = DBNull.Value;
                if (document.Embeddings is { } vectors)
                {
                    if (vectors[i].Length != model!.Dimensions)
                        throw new ArgumentException($"{document.Path}: embedding of {vectors[i].Length} dimensions, the model has {model.Dimensions}");
                    embedding = MemoryMarshal.AsBytes(vectors[i].Span).ToArray();
                }
                insertChunk.Parameters.Clear();
                insertChunk.Parameters.AddWithValue("@doc", documentId);
                insertChunk.Parameters.AddWithValue("@ordinal", i);
                insertChunk.Parameters.AddWithValue("@section", chunk.Section);
                insertChunk.Parameters.AddWithValue("@text", chunk.Text);
                insertChunk.Parameters.AddWithValue("@context", chunk.Context == chunk.Text ? DBNull.Value : chunk.Context);
                insertChunk.Parameters.AddWithValue("@embedding", embedding);
                var chunkId = (long)insertChunk.ExecuteScalar()!;
                insertFts.Parameters.Clear();
                insertFts.Parameters.AddWithValue("@id", chunkId);
                insertFts.Parameters.AddWithValue("@text", chunk.Text);
                insertFts.Parameters.AddWithValue("@title", document.Title);
                insertFts.Parameters.AddWithValue("@section", chunk.Section);
                insertFts.ExecuteNonQuery();
            }
        }
    }

    private void Delete(string path, SqliteTransaction transaction)
    {
        using var command = Command("""
            DELETE FROM chunks_fts WHERE rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = @path);
            DELETE FROM chunks WHERE document_id IN (SELECT id FROM documents WHERE path = @path);
            DELETE FROM documents WHERE path = @path;
            """, transaction);
        command.Parameters.AddWithValue("@path", path);
        command.ExecuteNonQuery();
    }

    /// <summary>BM25 over chunk text, title and section (FTS5). Any user text is safe: it is reduced to quoted terms
    /// joined by OR, so FTS syntax in it is searched for, never interpreted. Scores are -bm25 (higher is better).</summary>
    public IReadOnlyList<(long ChunkId, double Score)> KeywordSearch(string query, int k, SearchFilter? filter = null)
    {
        var match = ToMatchExpression(query);
        if (match.Length == 0 || k <= 0) return [];
        var sql = new StringBuilder("""
            SELECT f.rowid, -bm25(chunks_fts, 1.0, 1.0, 0.2) AS score FROM chunks_fts f
            """);
        if (filter is { IsEmpty: false }) sql.Append(" JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id");
        sql.Append(" WHERE chunks_fts MATCH @match");
        if (filter is { IsEmpty: false }) sql.Append(" AND ").Append(FilterSql);
        sql.Append(" ORDER BY bm25(chunks_fts, 1.0, 1.0, 0.2) LIMIT @k");
        using var command = Command(sql.ToString());
        command.Parameters.AddWithValue("@match", match);
        command.Parameters.AddWithValue("@k", k);
        AddFilter(command, filter);
        var hits = new List<(long, double)>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) hits.Add((reader.GetInt64(0), reader.GetDouble(1)));
        return hits;
    }

    /// <summary>Turns free text into an FTS5 expression of quoted terms joined by OR (at most 64 terms). Common English
    /// function words are dropped unless nothing else is left: they match most chunks, cost most of the time, and add
    /// next to nothing to BM25.</summary>
    internal static string ToMatchExpression(string query)
    {
        var terms = Term().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct().ToList();
        var content = terms.Where(t => !StopWords.Contains(t)).ToList();
        return string.Join(" OR ", (content.Count > 0 ? content : terms).Take(64).Select(t => $"\"{t}\""));
    }

    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
        "of", "on", "or", "that", "the", "their", "then", "there", "these", "this", "to", "was", "what", "when", "which", "who", "will", "with", "you",
    ];

    [GeneratedRegex(@"[\p{L}\p{N}_]+")]
    private static partial Regex Term();

    private const string FilterSql = """
        (@prefix IS NULL OR substr(d.path, 1, length(@prefix)) = @prefix)
        AND (@section IS NULL OR c.section = @section COLLATE NOCASE)
        AND (@title IS NULL OR instr(lower(d.title), lower(@title)) > 0)
        """;

    private static void AddFilter(SqliteCommand command, SearchFilter? filter)
    {
        if (filter is not { IsEmpty: false }) return;
        command.Parameters.AddWithValue("@prefix", (object?)filter.PathPrefix ?? DBNull.Value);
        command.Parameters.AddWithValue("@section", (object?)filter.Section ?? DBNull.Value);
        command.Parameters.AddWithValue("@title", (object?)filter.TitleContains ?? DBNull.Value);
    }

    /// <summary>Ids of the chunks that pass <paramref name="filter"/>.</summary>
    public HashSet<long> FilteredChunkIds(SearchFilter filter)
    {
        using var command = Command($"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {FilterSql}");
        AddFilter(command, filter);
        return Query(command, r => r.GetInt64(0)).ToHashSet();
    }

    /// <summary>All stored vectors with id greater than <paramref name="afterId"/>, in id order, as one row-major matrix.</summary>
    public (long[] Ids, float[] Vectors, int Dimensions) ReadVectors(long afterId = 0)
    {
        var model = Model;
        if (model is null) return ([], [], 0);
        var ids = new List<long>();
        var vectors = new List<float>();
        using var command = Command("SELECT id, embedding FROM chunks WHERE id > @after AND embedding IS NOT NULL ORDER BY id");
        command.Parameters.AddWithValue("@after", afterId);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var blob = (byte[])reader.GetValue(1);
            if (blob.Length != model.Dimensions * sizeof(float))
                throw new StoreFormatException(FilePath, $"chunk {reader.GetInt64(0)} has a {blob.Length}-byte embedding; expected {model.Dimensions} floats");
            ids.Add(reader.GetInt64(0));
            vectors.AddRange(MemoryMarshal.Cast<byte, float>(blob));
        }
        return (ids.ToArray(), vectors.ToArray(), model.Dimensions);
    }

    /// <summary>Cosine search over the stored vectors: an exact SIMD scan, or the persisted HNSW graph when
    /// <see cref="SearchOptions.DenseIndex"/> says so (Auto: above <see cref="SearchOptions.HnswThreshold"/> chunks and no filter).
    /// Filtered searches scan only the chunks that pass the filter.</summary>
    public IReadOnlyList<(long ChunkId, double Score)> VectorSearch(ReadOnlyMemory<float> vector, int k, SearchFilter? filter, SearchOptions options)
    {
        var model = Model ?? throw new InvalidOperationException($"{FilePath} holds no embeddings");
        if (vector.Length != model.Dimensions) throw new EmbeddingModelMismatchException(FilePath, model, model with { Dimensions = vector.Length });
        Func<long, bool>? allowed = filter is { IsEmpty: false } ? FilteredChunkIds(filter).Contains : null;
        var useHnsw = options.DenseIndex == DenseIndexKind.Hnsw
            || (options.DenseIndex == DenseIndexKind.Auto && allowed is null && ChunkCount > options.HnswThreshold);
        IReadOnlyList<(long Id, float Score)> hits;
        if (useHnsw)
        {
            _hnsw ??= VectorIndexes.LoadHnsw(this) ?? VectorIndexes.UpdateHnsw(this) ?? throw new InvalidOperationException($"{FilePath} holds no embeddings");
            hits = _hnsw.Search(vector.Span, k, options.EfSearch, allowed);
        }
        else
        {
            _exact ??= VectorIndexes.LoadExact(this);
            hits = _exact.Search(vector.Span, k, allowed);
        }
        return hits.Select(h => (h.Id, (double)h.Score)).ToList();
    }

    /// <summary>The ids of all chunks (to reconcile a persisted vector index with deletions).</summary>
    public HashSet<long> ChunkIds() => Query("SELECT id FROM chunks", r => r.GetInt64(0)).ToHashSet();

    /// <summary>Chunks with their document metadata, in the order of <paramref name="ids"/> (unknown ids are skipped).</summary>
    public IReadOnlyList<StoredChunk> GetChunks(IReadOnlyList<long> ids)
    {
        var found = new Dictionary<long, StoredChunk>();
        using var command = Command("SELECT c.id, d.path, d.title, c.section, c.text, coalesce(c.context, c.text) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = @id");
        var parameter = command.Parameters.Add("@id", SqliteType.Integer);
        foreach (var id in ids.Distinct())
        {
            parameter.Value = id;
            using var reader = command.ExecuteReader();
            if (reader.Read()) found[id] = new StoredChunk(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5));
        }
        return ids.Where(found.ContainsKey).Select(id => found[id]).ToList();
    }

    /// <summary>Largest part of an index blob stored in one row. SQLite refuses any value over SQLITE_MAX_LENGTH (1 GB by
    /// default), which the HNSW graph of 384-dimension vectors (≈ 1.6 KB a chunk) passes at about 600 000 chunks, so a blob is
    /// stored as rows <c>name</c>, <c>name#0001</c>, <c>name#0002</c>… of at most this many bytes each.</summary>
    internal const int IndexPartBytes = 256 << 20;

    /// <summary>A persisted vector index blob, its parts joined (null when absent).</summary>
    public byte[]? ReadIndex(string name)
    {
        using var command = Command("SELECT data FROM vector_indexes WHERE name = @name");
        var parameter = command.Parameters.Add("@name", SqliteType.Text);
        var parts = new List<byte[]>();
        for (var part = 0; ; part++)
        {
            parameter.Value = PartName(name, part);
            if (command.ExecuteScalar() is not byte[] data) break;
            parts.Add(data);
        }
        if (parts.Count <= 1) return parts.FirstOrDefault();
        var length = parts.Sum(p => (long)p.Length);
        if (length > Array.MaxLength) throw new StoreFormatException(FilePath, $"vector index '{name}' is {length} bytes in {parts.Count} parts, more than one array holds");
        var joined = new byte[length];
        var offset = 0;
        foreach (var p in parts) { p.CopyTo(joined, offset); offset += p.Length; }
        return joined;
    }

    /// <summary>Replaces a persisted vector index blob (all its parts) in one transaction.</summary>
    public void WriteIndex(string name, byte[] data) => WriteIndex(name, data, IndexPartBytes);

    internal void WriteIndex(string name, byte[] data, int partBytes)
    {
        _hnsw = null;
        using var transaction = _connection.BeginTransaction();
        using (var delete = Command("DELETE FROM vector_indexes WHERE name = @name OR substr(name, 1, length(@name) + 1) = @name || '#'", transaction))
        {
            delete.Parameters.AddWithValue("@name", name);
            delete.ExecuteNonQuery();
        }
        using var insert = Command("INSERT INTO vector_indexes(name, data) VALUES (@name, @data)", transaction);
        var nameParameter = insert.Parameters.Add("@name", SqliteType.Text);
        var dataParameter = insert.Parameters.Add("@data", SqliteType.Blob);
        var parts = Math.Max(1, (int)((data.Length + (long)partBytes - 1) / partBytes));
        for (var part = 0; part < parts; part++)
        {
            var offset = part * (long)partBytes;
            nameParameter.Value = PartName(name, part);
            dataParameter.Value = parts == 1 ? data : data.AsSpan((int)offset, (int)Math.Min(partBytes, data.Length - offset)).ToArray();
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static string PartName(string name, int part) =>
        part == 0 ? name : $"{name}#{part.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>SQLite's own consistency check plus Loom's invariants (every document has exactly its chunks, every chunk
    /// one FTS row). Returns the problems found; empty means healthy.</summary>
    public IReadOnlyList<string> Verify()
    {
        var problems = Query("PRAGMA integrity_check", r => r.GetString(0)).Where(s => s != "ok").ToList();
        problems.AddRange(Query("""
            SELECT d.path || ': ' || d.chunk_count || ' chunks recorded, ' || count(c.id) || ' stored'
            FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id HAVING count(c.id) <> d.chunk_count
            """, r => r.GetString(0)));
        var fts = Scalar<long>("SELECT count(*) FROM chunks_fts");
        var chunks = Scalar<long>("SELECT count(*) FROM chunks");
        if (fts != chunks) problems.Add($"{chunks} chunks but {fts} full-text rows");
        var orphans = Scalar<long>("SELECT count(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)");
        if (orphans > 0) problems.Add($"{orphans} chunks without a document");
        return problems;
    }

    public void Dispose() => _connection.Dispose();

    private string? Meta(string key, SqliteTransaction? transaction = null)
    {
        using var command = Command("SELECT value FROM loom_meta WHERE key = @key", transaction);
        command.Parameters.AddWithValue("@key", key);
        return command.ExecuteScalar() as string;
    }

    private void SetMeta(string key, string value, SqliteTransaction transaction)
    {
        using var command = Command("INSERT OR REPLACE INTO loom_meta(key, value) VALUES (@key, @value)", transaction);
        command.Parameters.AddWithValue("@key", key);
        command.Parameters.AddWithValue("@value", value);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction ?? _transaction;
        return command;
    }

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(sql, transaction);
        command.ExecuteNonQuery();
    }

    private T Scalar<T>(string sql)
    {
        using var command = Command(sql);
        return (T)command.ExecuteScalar()!;
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> read)
    {
        using var command = Command(sql);
        return Query(command, read);
    }

    private static List<T> Query<T>(SqliteCommand command, Func<SqliteDataReader, T> read)
    {
        var list = new List<T>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) list.Add(read(reader));
        return list;
    }
}
