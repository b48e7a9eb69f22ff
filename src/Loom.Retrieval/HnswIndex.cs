using System.Numerics.Tensors;

namespace Loom.Retrieval;

/// <summary>HNSW settings (Malkov &amp; Yashunin 2016): <see cref="M"/> links per node (2M on the bottom layer),
/// <see cref="EfConstruction"/> candidates while inserting, <see cref="EfSearch"/> while searching.</summary>
public sealed record HnswOptions
{
    public int M { get; init; } = 16;
    public int EfConstruction { get; init; } = 100;
    public int EfSearch { get; init; } = 64;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// Approximate nearest neighbours by cosine similarity on a hierarchical navigable small-world graph: incremental
/// inserts, deletions as tombstones (still traversed, never returned), and a compact binary form to persist it.
/// Not thread-safe for concurrent inserts; searches may run while no insert does.
/// </summary>
public sealed class HnswIndex
{
    private const string Magic = "LOOMHNS1";
    private const int MaxLevels = 32;

    private readonly HnswOptions _options;
    private readonly double _levelFactor;
    private readonly Random _random;
    private readonly List<long> _ids = [];
    private readonly Dictionary<long, int> _nodeOf = [];
    private readonly List<List<int>[]> _links = [];
    private readonly HashSet<int> _deleted = [];
    private float[] _vectors = [];
    private int _entry = -1;
    private int _maxLevel = -1;
    private int[] _visitMark = [];
    private int _visitGeneration;

    public int Dimensions { get; }
    public HnswOptions Options => _options;
    /// <summary>Live (not deleted) vectors.</summary>
    public int Count => _ids.Count - _deleted.Count;
    /// <summary>Deleted vectors still in the graph; rebuild when this grows large.</summary>
    public int DeletedCount => _deleted.Count;
    /// <summary>The largest id ever inserted (ids are expected to grow, as the store's chunk ids do).</summary>
    public long MaxId { get; private set; }

    public HnswIndex(int dimensions, HnswOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        _options = options ?? new HnswOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.M, 2, nameof(HnswOptions.M));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EfConstruction, 1, nameof(HnswOptions.EfConstruction));
        Dimensions = dimensions;
        _levelFactor = 1 / Math.Log(_options.M);
        _random = new Random(_options.Seed);
    }

    /// <summary>The ids of the live vectors.</summary>
    public IEnumerable<long> LiveIds() => _nodeOf.Keys;

    public bool Contains(long id) => _nodeOf.TryGetValue(id, out var node) && !_deleted.Contains(node);

    /// <summary>Adds a vector (copied and L2-normalised). An id already present is replaced.</summary>
    public void Add(long id, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions) throw new ArgumentException($"vector has {vector.Length} dimensions; the index has {Dimensions}");
        if (_nodeOf.ContainsKey(id)) Remove(id);
        var node = _ids.Count;
        var level = Math.Min(MaxLevels - 1, (int)(-Math.Log(1 - _random.NextDouble()) * _levelFactor));
        AppendNode(id, vector, level);
        VectorMath.Normalize(VectorOf(node));
        Link(node, level);
    }

    /// <summary>Marks an id deleted; it is no longer returned.</summary>
    public bool Remove(long id)
    {
        if (!_nodeOf.Remove(id, out var node)) return false;
        _deleted.Add(node);
        return true;
    }

    /// <summary>The <paramref name="k"/> nearest live vectors (cosine, descending) from a beam of
    /// max(<paramref name="ef"/> ?? EfSearch, k) candidates.</summary>
    public IReadOnlyList<(long Id, float Score)> Search(ReadOnlySpan<float> query, int k, int? ef = null, Func<long, bool>? allowed = null)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"query has {query.Length} dimensions; the index has {Dimensions}");
        if (_entry < 0 || k <= 0) return [];
        var q = query.ToArray();
        VectorMath.Normalize(q);
        var entry = _entry;
        for (var level = _maxLevel; level > 0; level--) entry = Greedy(q, entry, level);
        var beam = Math.Max(ef ?? _options.EfSearch, k);
        var results = new List<(long, float)>(k);
        foreach (var (node, score) in SearchLayer(q, [entry], beam, 0))
        {
            if (_deleted.Contains(node) || (allowed is not null && !allowed(_ids[node]))) continue;
            results.Add((_ids[node], score));
            if (results.Count == k) break;
        }
        return results;
    }

    private Span<float> VectorOf(int node) => _vectors.AsSpan(node * Dimensions, Dimensions);

    private float Similarity(ReadOnlySpan<float> q, int node) => TensorPrimitives.Dot(q, VectorOf(node));

    private void AppendNode(long id, ReadOnlySpan<float> vector, int level)
    {
        var node = _ids.Count;
        if ((node + 1) * Dimensions > _vectors.Length) Array.Resize(ref _vectors, Math.Max(Dimensions * 64, _vectors.Length * 2));
        vector.CopyTo(_vectors.AsSpan(node * Dimensions));
        _ids.Add(id);
        _nodeOf[id] = node;
        var links = new List<int>[level + 1];
        for (var l = 0; l <= level; l++) links[l] = new List<int>(MaxLinks(l) + 1);
        _links.Add(links);
        MaxId = Math.Max(MaxId, id);
    }

    private int MaxLinks(int level) => level == 0 ? 2 * _options.M : _options.M;

    private void Link(int node, int level)
    {
        if (_entry < 0)
        {
            _entry = node;
            _maxLevel = level;
            return;
        }
        var q = VectorOf(node).ToArray();
        var entry = _entry;
        for (var l = _maxLevel; l > level; l--) entry = Greedy(q, entry, l);
        List<int> entries = [entry];
        for (var l = Math.Min(level, _maxLevel); l >= 0; l--)
        {
            var candidates = SearchLayer(q, entries, _options.EfConstruction, l);
            var chosen = SelectNeighbours(candidates, _options.M);
            _links[node][l].AddRange(chosen);
            foreach (var neighbour in chosen)
            {
                var theirs = _links[neighbour][l];
                theirs.Add(node);
                if (theirs.Count > MaxLinks(l)) Shrink(neighbour, l);
            }
            entries = candidates.Select(c => c.Node).ToList();
        }
        if (level > _maxLevel)
        {
            _entry = node;
            _maxLevel = level;
        }
    }

    /// <summary>Keeps a node's best links by the same diversity heuristic used on insert.</summary>
    private void Shrink(int node, int level)
    {
        var v = VectorOf(node).ToArray();
        var scored = _links[node][level].Select(n => (Node: n, Score: Similarity(v, n))).OrderByDescending(c => c.Score).ToList();
        var kept = SelectNeighbours(scored, MaxLinks(level));
        _links[node][level].Clear();
        _links[node][level].AddRange(kept);
    }

    /// <summary>The paper's heuristic: take a candidate only if it is closer to the base than to any neighbour already taken,
    /// which spreads links in all directions. Ties count as "not closer": chunks with identical text have identical vectors,
    /// and linking a node to all its copies would make islands the search cannot leave. Rejected candidates are not added
    /// back (hnswlib's default), for the same reason.</summary>
    private List<int> SelectNeighbours(List<(int Node, float Score)> candidatesDescending, int m)
    {
        var chosen = new List<int>(m);
        foreach (var (candidate, score) in candidatesDescending)
        {
            if (chosen.Count >= m) break;
            var c = VectorOf(candidate);
            var diverse = true;
            foreach (var other in chosen)
            {
                if (TensorPrimitives.Dot(c, VectorOf(other)) >= score) { diverse = false; break; }
            }
            if (diverse) chosen.Add(candidate);
        }
        return chosen;
    }

    private int Greedy(float[] q, int entry, int level)
    {
        var best = entry;
        var bestScore = Similarity(q, entry);
        for (var improved = true; improved;)
        {
            improved = false;
            foreach (var n in _links[best][level])
            {
                var s = Similarity(q, n);
                if (s > bestScore) { bestScore = s; best = n; improved = true; }
            }
        }
        return best;
    }

    /// <summary>Beam search on one layer; returns up to <paramref name="ef"/> nodes, most similar first.</summary>
    private List<(int Node, float Score)> SearchLayer(float[] q, List<int> entries, int ef, int level)
    {
        if (_visitMark.Length < _ids.Count) _visitMark = new int[Math.Max(_ids.Count, _visitMark.Length * 2)];
        if (++_visitGeneration == int.MaxValue) { Array.Clear(_visitMark); _visitGeneration = 1; }
        var candidates = new PriorityQueue<int, float>(); // best first: priority is -score
        var results = new PriorityQueue<int, float>();    // worst first: priority is score
        foreach (var e in entries)
        {
            if (_visitMark[e] == _visitGeneration) continue;
            _visitMark[e] = _visitGeneration;
            var s = Similarity(q, e);
            candidates.Enqueue(e, -s);
            results.Enqueue(e, s);
            if (results.Count > ef) results.Dequeue();
        }
        while (candidates.TryDequeue(out var current, out var negative))
        {
            results.TryPeek(out _, out var worst);
            if (-negative < worst && results.Count >= ef) break;
            foreach (var n in _links[current][level])
            {
                if (_visitMark[n] == _visitGeneration) continue;
                _visitMark[n] = _visitGeneration;
                var s = Similarity(q, n);
                results.TryPeek(out _, out worst);
                if (results.Count < ef || s > worst)
                {
                    candidates.Enqueue(n, -s);
                    results.Enqueue(n, s);
                    if (results.Count > ef) results.Dequeue();
                }
            }
        }
        var list = new List<(int, float)>(results.Count);
        while (results.TryDequeue(out var node, out var score)) list.Add((node, score));
        list.Reverse();
        return list;
    }

    /// <summary>The index as bytes: header, then per node its id, deletion flag, level, vector and links.</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            w.Write(System.Text.Encoding.ASCII.GetBytes(Magic));
            w.Write(Dimensions); w.Write(_options.M); w.Write(_options.EfConstruction); w.Write(_options.EfSearch); w.Write(_options.Seed);
            w.Write(_ids.Count); w.Write(_entry); w.Write(_maxLevel); w.Write(MaxId);
            for (var node = 0; node < _ids.Count; node++)
            {
                w.Write(_ids[node]);
                w.Write(_deleted.Contains(node));
                w.Write(_links[node].Length - 1);
                foreach (var f in VectorOf(node)) w.Write(f);
                foreach (var level in _links[node])
                {
                    w.Write(level.Count);
                    foreach (var n in level) w.Write(n);
                }
            }
        }
        return stream.ToArray();
    }

    /// <summary>Reads <see cref="Serialize"/>'s output; anything malformed raises <see cref="StoreFormatException"/> naming <paramref name="source"/>.</summary>
    public static HnswIndex Deserialize(byte[] data, string source)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(data));
            if (System.Text.Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic) throw Bad("not a Loom HNSW index");
            var dimensions = r.ReadInt32();
            var options = new HnswOptions { M = r.ReadInt32(), EfConstruction = r.ReadInt32(), EfSearch = r.ReadInt32(), Seed = r.ReadInt32() };
            if (dimensions is < 1 or > 65536 || options.M is < 2 or > 1024 || options.EfConstruction < 1 || options.EfSearch < 1) throw Bad("implausible header");
            var count = r.ReadInt32();
            var entry = r.ReadInt32();
            var maxLevel = r.ReadInt32();
            var maxId = r.ReadInt64();
            var minimumNodeBytes = 8 + 1 + 4 + 4L * dimensions + 4;
            if (count < 0 || count > (data.Length - r.BaseStream.Position) / minimumNodeBytes) throw Bad($"{count} nodes cannot fit in {data.Length} bytes");
            if (count == 0 ? entry != -1 : entry < 0 || entry >= count) throw Bad("entry point out of range");
            if (maxLevel is < -1 or >= MaxLevels) throw Bad("implausible level count");
            var index = new HnswIndex(dimensions, options);
            var vector = new float[dimensions];
            for (var node = 0; node < count; node++)
            {
                var id = r.ReadInt64();
                var deleted = r.ReadBoolean();
                var level = r.ReadInt32();
                if (level < 0 || level > maxLevel) throw Bad($"node {node} has level {level}");
                for (var i = 0; i < dimensions; i++) vector[i] = r.ReadSingle();
                if (index._nodeOf.ContainsKey(id)) throw Bad($"id {id} appears twice");
                index.AppendNode(id, vector, level);
                if (deleted) index.Remove(id);
                for (var l = 0; l <= level; l++)
                {
                    var n = r.ReadInt32();
                    if (n < 0 || n > index.MaxLinks(l)) throw Bad($"node {node} has {n} links on level {l}");
                    for (var j = 0; j < n; j++)
                    {
                        var neighbour = r.ReadInt32();
                        if (neighbour < 0 || neighbour >= count) throw Bad($"node {node} links to {neighbour}");
                        index._links[node][l].Add(neighbour);
                    }
                }
            }
            // A link to a node must point at a level that node has.
            for (var node = 0; node < count; node++)
                for (var l = 0; l < index._links[node].Length; l++)
                    foreach (var n in index._links[node][l])
                        if (index._links[n].Length <= l) throw Bad($"node {node} links to {n} on a level {n} lacks");
            if (count > 0 && index._links[entry].Length - 1 != maxLevel) throw Bad("the entry point is not on the top level");
            if (r.BaseStream.Position != data.Length) throw Bad("trailing bytes");
            index._entry = entry;
            index._maxLevel = maxLevel;
            index.MaxId = maxId;
            return index;
        }
        catch (EndOfStreamException)
        {
            throw Bad("truncated");
        }

        StoreFormatException Bad(string problem) => new(source, $"HNSW index: {problem}");
    }
}
