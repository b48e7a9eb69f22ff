using Loom.Data;

namespace Loom.Tests.Classification;

public class FortunesTests
{
    [Fact]
    public void ParsesEntriesBetweenPercentLines()
    {
        var entries = Fortunes.ParseEntries(new StringReader("first\nline two  \n%\n%\n  second\n%\nthird")).ToList();
        Assert.Equal(["first\nline two", "second", "third"], entries);
    }

    [Fact]
    public void SplitIsStratifiedAndFixedBySeed()
    {
        var fortunes = Enumerable.Range(0, 100).Select(i => new Fortune(i < 70 ? "a" : "b", $"text {i}")).ToList();
        var (train, test) = Fortunes.Split(fortunes, 0.2, seed: 5);
        Assert.Equal(14, test.Count(f => f.Category == "a"));
        Assert.Equal(6, test.Count(f => f.Category == "b"));
        Assert.Equal(100, train.Concat(test).Select(f => f.Text).Distinct().Count());
        var again = Fortunes.Split(fortunes, 0.2, seed: 5);
        Assert.Equal(test, again.Test);
        Assert.NotEqual(test, Fortunes.Split(fortunes, 0.2, seed: 6).Test);
    }

    [Fact]
    public void LoadsTheDebianCategories()
    {
        // CI installs the Debian package (.ci/run); on a machine without it the loader must say so.
        if (!Fortunes.IsInstalled())
        {
            Assert.Throws<DirectoryNotFoundException>(() => Fortunes.Load());
            return;
        }
        var fortunes = Fortunes.Load();
        var sizes = fortunes.GroupBy(f => f.Category).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(sizes.Count >= 15, $"{sizes.Count} categories");
        Assert.All(sizes.Values, n => Assert.True(n >= 200));
        Assert.DoesNotContain(sizes.Keys, k => k.Contains('.') || k == "off");
        Assert.All(fortunes, f => Assert.False(string.IsNullOrWhiteSpace(f.Text)));
        Assert.DoesNotContain(fortunes, f => f.Text.Split('\n').Contains("%"));
    }
}
