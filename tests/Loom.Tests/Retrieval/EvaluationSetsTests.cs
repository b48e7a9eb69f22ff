using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

public class EvaluationSetsTests
{
    [Fact]
    public void WordNet_reverse_dictionary_queries_are_definitions_absent_from_their_documents()
    {
        if (!File.Exists("/usr/share/wordnet/data.noun")) return; // wordnet-base is installed by .ci/run
        var set = EvaluationSets.WordNetReverseDictionary(size: 200, seed: 3);
        Assert.Equal(200, set.Documents.Count);
        Assert.Equal(200, set.Queries.Count);
        Assert.Equal(set.Documents.Count, set.Documents.Select(d => d.Path).Distinct().Count());
        var byPath = set.Documents.ToDictionary(d => d.Path);
        foreach (var q in set.Queries)
        {
            Assert.True(q.Text.Split(' ').Length >= 3);
            Assert.DoesNotContain('"', q.Text);
            Assert.DoesNotContain(q.Text, byPath[q.Relevant.Single()].FullText);
        }
        // Same seed, same sample.
        Assert.Equal(set.Queries.Select(q => q.Text), EvaluationSets.WordNetReverseDictionary(size: 200, seed: 3).Queries.Select(q => q.Text));
        // A known synset (wn(1): dog, domestic dog, Canis familiaris): its definition leads to the entry listing its words.
        var all = EvaluationSets.WordNetReverseDictionary(size: int.MaxValue, seed: 1);
        var dog = all.Queries.Single(q => q.Text.StartsWith("a member of the genus Canis", StringComparison.Ordinal));
        Assert.Contains("domestic dog", all.Documents.Single(d => d.Path == dog.Relevant.Single()).FullText);
    }

    [Fact]
    public void Man_page_known_item_queries_are_NAME_descriptions_removed_from_the_indexed_text()
    {
        if (!Directory.Exists("/usr/share/man/man1")) return; // manpages are installed by .ci/run
        var set = EvaluationSets.ManPagesKnownItem(size: 30, seed: 2, maxWordsPerPage: 100);
        Assert.Equal(30, set.Queries.Count);
        Assert.Equal(30, set.Queries.Select(q => q.Text.ToLowerInvariant()).Distinct().Count());
        var byPath = set.Documents.ToDictionary(d => d.Path);
        foreach (var q in set.Queries)
        {
            var doc = byPath[q.Relevant.Single()];
            Assert.DoesNotContain(doc.Sections, s => s.Heading.Equals("NAME", StringComparison.OrdinalIgnoreCase));
            Assert.True(doc.FullText.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length <= 100);
        }
    }
}
