using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Loom.Cli.Commands;
using Loom.Cli.Plots;
using Loom.Clustering;

namespace Loom.Tests.Clustering;

public class TopicMapHtmlTests
{
    private const string Hostile = "</script><script>alert('pwned')</script><img src=x onerror=\"alert(1)\"> & co";

    private static string Between(string html, string start, string end)
    {
        int from = html.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"no {start}");
        int to = html.IndexOf(end, from, StringComparison.Ordinal);
        return html[from..(to + end.Length)];
    }

    private static JsonElement Data(string html)
    {
        var match = Regex.Match(html, $"<script type=\"application/json\" id=\"{TopicMapHtml.DataElementId}\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(match.Success);
        return JsonDocument.Parse(match.Groups[1].Value).RootElement;
    }

    [Fact]
    public void DocumentsAndWordsStayTextAndTheDataBlockRoundTrips()
    {
        string[] documents = ["plain text", Hostile, "line one\nline two — ünïcode", "an outlier"];
        float[][] layout = [[0f, 0f], [1f, 2f], [-3.5f, 0.25f], [10f, -4f]];
        int[] assignments = [0, 0, 1, -1];
        Topic[] topics =
        [
            new(-1, 1, [new("outlier", 1f)], null, []),
            new(0, 2, [new("<b>bold</b>", 0.9f), new("plain", 0.3f)], null, []),
            new(1, 1, [new("line", 0.5f)], "<i>label</i> & more", []),
        ];
        string html = TopicMapHtml.Render(layout, documents, assignments, topics, "title <with> & tags");

        // The only markup is ours: one SVG, our two scripts, no element from the user's text.
        Assert.Single(Regex.Matches(html, "<svg"));
        Assert.Equal(2, Regex.Matches(html, "<script", RegexOptions.IgnoreCase).Count);
        Assert.Equal(2, Regex.Matches(html, "</script>", RegexOptions.IgnoreCase).Count);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>bold", html);
        Assert.DoesNotContain("<i>label", html);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html);
        Assert.Contains("&lt;i&gt;label&lt;/i&gt; &amp; more", html);
        Assert.Contains("<title>title &lt;with&gt; &amp; tags</title>", html);

        // The SVG and the legend are well-formed XML: one circle per document, each carrying its topic.
        var svg = XElement.Parse(Between(html, "<svg", "</svg>"));
        var circles = svg.Descendants().Where(e => e.Name.LocalName == "circle").ToArray();
        Assert.Equal(documents.Length, circles.Length);
        Assert.Equal(assignments.Order(), circles.Select(c => (int)c.Attribute("data-topic")!).Order());
        Assert.All(circles, c => Assert.Equal(assignments[(int)c.Attribute("data-i")!], (int)c.Attribute("data-topic")!));
        Assert.Equal("outlier", circles.Single(c => (int)c.Attribute("data-topic")! == -1).Attribute("class")!.Value);
        var legend = XElement.Parse(Between(html, "<ul id=\"legend\">", "</ul>"));
        Assert.Equal(topics.Select(t => t.Id), legend.Elements("li").Select(li => (int)li.Attribute("data-topic")!));
        Assert.Contains("<i>label</i> & more", legend.Value); // escaped markup reads back as the text itself
        Assert.Equal(2, Regex.Matches(html, "class=\"panel\"").Count); // top-word bars for the two real topics

        // The JSON block gives back every document exactly, with its point and topic.
        var data = Data(html);
        var points = data.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(documents, points.Select(p => p.GetProperty("text").GetString()));
        Assert.Equal(assignments, points.Select(p => p.GetProperty("topic").GetInt32()));
        Assert.Equal(layout.Select(p => p[1]), points.Select(p => p.GetProperty("y").GetSingle()));
        Assert.Equal(["<b>bold</b>", "plain"], data.GetProperty("topics")[1].GetProperty("words").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal("title <with> & tags", data.GetProperty("title").GetString());
    }

    [Fact]
    public void MismatchedInputsAreRefused()
        => Assert.Throws<ArgumentException>(() => TopicMapHtml.Render([[0f, 0f]], ["a", "b"], [0, 0], [], "t"));

    [Fact]
    public void TopicsCommandWritesTheHtmlMapOfItsDocuments()
    {
        var folder = Directory.CreateTempSubdirectory("loom-topics-html-");
        try
        {
            var random = new Random(5);
            string[][] themes = [["rocket", "planet", "astronaut", "orbit", "galaxy"], ["bread", "soup", "recipe", "oven", "butter"], ["compiler", "kernel", "debugger", "software", "bug"]];
            var lines = Enumerable.Range(0, 45).Select(i => $"A note about {string.Join(" and ", Enumerable.Range(0, 3).Select(_ => themes[i % 3][random.Next(5)]))}.").ToArray();
            lines[0] = "A note about the rocket " + Hostile;
            string docs = Path.Combine(folder.FullName, "docs.txt"), map = Path.Combine(folder.FullName, "map.html");
            File.WriteAllLines(docs, lines);
            Assert.Equal(0, TopicsCommand.Create().Parse([docs, "--min-cluster-size", "5", "--html", map]).Invoke());

            string html = File.ReadAllText(map);
            Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "")); // nothing fetched
            Assert.DoesNotContain("https://", html);
            Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(lines.Length, XElement.Parse(Between(html, "<svg", "</svg>")).Descendants().Count(e => e.Name.LocalName == "circle"));
            var points = Data(html).GetProperty("points").EnumerateArray().ToArray();
            Assert.Equal(lines, points.Select(p => p.GetProperty("text").GetString()));
            Assert.True(points.Select(p => p.GetProperty("topic").GetInt32()).Where(t => t >= 0).Distinct().Count() >= 2);
        }
        finally { folder.Delete(true); }
    }
}
