using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

public class HnswIndexTests
{
    /// <summary>Clustered Gaussian vectors: neighbours are meaningful, as for text embeddings.</summary>
    private static float[] Clustered(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, dimensions).Select(_ => (float)Gaussian(random)).ToArray()).ToArray();
        var data = new float[count * dimensions];
        for (var i = 0; i < count; i++)
        {
            var c = centres[random.Next(centres.Length)];
            for (var d = 0; d < dimensions; d++) data[i * dimensions + d] = c[d] + 0.6f * (float)Gaussian(random);
        }
        return data;
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void Recall_at_10_against_exact_search_is_at_least_0_95_and_survives_serialization()
    {
        const int n = 4000, d = 48;
        var data = Clustered(n, d, 1);
        var ids = Enumerable.Range(1, n).Select(i => (long)i).ToArray();
        var exact = new ExactVectorIndex(ids, data, d);
        var hnsw = new HnswIndex(d);
        for (var i = 0; i < n; i++) hnsw.Add(ids[i], data.AsSpan(i * d, d));
        var queries = Clustered(200, d, 2);

        double Recall(HnswIndex index)
        {
            var found = 0;
            for (var q = 0; q < 200; q++)
            {
                var query = queries.AsSpan(q * d, d);
                var truth = exact.Search(query, 10).Select(h => h.Id).ToHashSet();
                found += index.Search(query, 10).Count(h => truth.Contains(h.Id));
            }
            return found / 2000.0;
        }

        var recall = Recall(hnsw);
        Assert.True(recall >= 0.95, $"recall@10 = {recall}");
        var restored = HnswIndex.Deserialize(hnsw.Serialize(), "test");
        Assert.Equal(recall, Recall(restored));
    }

    [Fact]
    public void Removed_ids_are_never_returned_and_filters_apply()
    {
        const int d = 16;
        var data = Clustered(500, d, 3);
        var hnsw = new HnswIndex(d);
        for (var i = 0; i < 500; i++) hnsw.Add(i, data.AsSpan(i * d, d));
        var query = data.AsSpan(7 * d, d);
        Assert.Equal(7, hnsw.Search(query, 1)[0].Id);
        Assert.True(hnsw.Remove(7));
        Assert.DoesNotContain(hnsw.Search(query, 10), h => h.Id == 7);
        Assert.All(hnsw.Search(query, 10, allowed: id => id % 2 == 0), h => Assert.Equal(0, h.Id % 2));
        Assert.Equal(499, hnsw.Count);
    }

    [Fact]
    public void Corrupt_or_truncated_index_bytes_raise_StoreFormatException()
    {
        var hnsw = new HnswIndex(8);
        var data = Clustered(100, 8, 4);
        for (var i = 0; i < 100; i++) hnsw.Add(i, data.AsSpan(i * 8, 8));
        var bytes = hnsw.Serialize();
        Assert.Throws<StoreFormatException>(() => HnswIndex.Deserialize(bytes[..(bytes.Length / 2)], "t"));
        Assert.Throws<StoreFormatException>(() => HnswIndex.Deserialize([.. bytes, 0], "t"));
        Assert.Throws<StoreFormatException>(() => HnswIndex.Deserialize(new byte[40], "t"));
        var random = new Random(5);
        for (var trial = 0; trial < 200; trial++)
        {
            var damaged = (byte[])bytes.Clone();
            // Damage the header or a link count/target (vectors are floats: any bits are a valid float).
            damaged[random.Next(8, 48)] ^= (byte)(1 << random.Next(8));
            try { HnswIndex.Deserialize(damaged, "t").Search(data.AsSpan(0, 8), 5); }
            catch (StoreFormatException) { }
            catch (ArgumentException) { } // a header changed into valid but different options
        }
    }
}
