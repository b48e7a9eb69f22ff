using Loom.Retrieval;
using Loom.Tests.Bert;

namespace Loom.Tests.Retrieval;

/// <summary>The reranker orders hits by the cross-encoder score, whose reference is ONNX Runtime's pooler · the head.</summary>
public class CrossEncoderRerankerTests(CrossEncoderFolder fixture) : IClassFixture<CrossEncoderFolder>
{
    [Fact]
    public async Task HitsAreReorderedByTheReferenceScore()
    {
        const string query = "why does iron rust";
        var hits = BertCrossEncoderTests.Pairs.Select((p, i) => new SearchHit(new StoredChunk(i, $"{i}.md", "", "", p.Passage, p.Passage), -i)).ToList();
        var reranked = await new CrossEncoderReranker(fixture.Model).RerankAsync(query, hits);

        var expected = hits.OrderByDescending(h => fixture.ExpectedScore(query, h.Chunk.Context)).Select(h => h.Chunk.Id).ToList();
        Assert.Equal(expected, reranked.Select(h => h.Chunk.Id));
        foreach (var hit in reranked) Assert.Equal(fixture.ExpectedScore(query, hit.Chunk.Context), hit.Score, 1e-4);
        Assert.Empty(await new CrossEncoderReranker(fixture.Model).RerankAsync(query, []));
    }
}
