using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

public class ChunkerTests
{
    private static string Prose(int sentences, int seed)
    {
        var random = new Random(seed);
        string[] words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "sigma"];
        return string.Join(" ", Enumerable.Range(0, sentences).Select(i =>
            "Word" + i + " " + string.Join(" ", Enumerable.Range(0, random.Next(3, 15)).Select(_ => words[random.Next(words.Length)])) + "."));
    }

    [Fact]
    public void Recursive_chunks_respect_the_budget_keep_every_word_in_order_and_overlap()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 12).Select(p => Prose(8, p)));
        var options = new ChunkingOptions { MaxTokens = 60, OverlapTokens = 15 };
        var chunks = new Chunker(options).Chunk(SourceDocument.FromText("t", "t", text));

        Assert.True(chunks.Count > 5);
        Assert.All(chunks, c => Assert.True(options.CountTokens(c.Text) <= 60, $"{options.CountTokens(c.Text)} tokens: {c.Text}"));
        // Every sentence marker appears, first occurrences in document order.
        var firstChunk = Enumerable.Range(0, 8).Select(i => chunks.ToList().FindIndex(c => c.Text.Contains($"Word{i} "))).ToList();
        Assert.DoesNotContain(-1, firstChunk);
        Assert.Equal(firstChunk.Order(), firstChunk);
        // Consecutive chunks share their boundary sentence at least sometimes (overlap on).
        var overlapping = chunks.Zip(chunks.Skip(1)).Count(p => TokenCounters.Sentences(p.First.Text).Last() == TokenCounters.Sentences(p.Second.Text).First());
        Assert.True(overlapping > 0);
        // Without overlap, no sentence is repeated.
        var plain = new Chunker(options with { OverlapTokens = 0 }).Chunk(SourceDocument.FromText("t", "t", text));
        var all = plain.SelectMany(c => TokenCounters.Sentences(c.Text)).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void Enormous_line_without_spaces_is_split_to_fit()
    {
        var huge = new string('x', 200_000);
        var options = new ChunkingOptions { MaxTokens = 100, OverlapTokens = 0, CountTokens = s => (s.Length + 3) / 4 };
        var chunks = new Chunker(options).Chunk(SourceDocument.FromText("t", "t", "Start. " + huge + " end."));
        Assert.All(chunks, c => Assert.True(options.CountTokens(c.Text) <= 100));
        Assert.Equal(200_000, chunks.Sum(c => c.Text.Count(ch => ch == 'x')));
    }

    [Fact]
    public void Sentence_window_matches_one_sentence_and_gives_its_neighbours_as_context()
    {
        var text = "One is first. Two is second. Three is third. Four is fourth.";
        var chunks = new Chunker(new ChunkingOptions { Strategy = ChunkingStrategy.SentenceWindow, WindowSentences = 1 })
            .Chunk(SourceDocument.FromText("t", "t", text));
        Assert.Equal(["One is first.", "Two is second.", "Three is third.", "Four is fourth."], chunks.Select(c => c.Text));
        Assert.Equal("Two is second. Three is third. Four is fourth.", chunks[2].Context);
        Assert.Equal("One is first. Two is second.", chunks[0].Context);
    }

    [Fact]
    public void Sentences_split_at_sentence_ends_blank_lines_and_list_items_but_not_inside_wrapped_lines()
    {
        var text = "First one. Second\nwrapped line.\n- item **one** ends.\n- item two\n\nlast e.g. ok";
        Assert.Equal(["First one.", "Second\nwrapped line.", "- item **one** ends.", "- item two", "last e.g. ok"], TokenCounters.Sentences(text));
    }

    [Fact]
    public void Sections_become_chunk_metadata()
    {
        var doc = MarkdownReader.Read("a.md", "# T\nintro\n## Usage\nRun it.");
        var chunks = new Chunker().Chunk(doc);
        Assert.Equal(["T", "Usage"], chunks.Select(c => c.Section));
    }
}
