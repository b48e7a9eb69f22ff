using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Loom.Clustering;

namespace Loom.Cli.Plots;

/// <summary>
/// One self-contained HTML page of a topic model: the 2-D document map as inline SVG (one circle per document, coloured
/// by topic, outliers grey and faint), a legend of the topics and their top-word bars. A small inline script shows a
/// document's text and topic on hover or click, and highlights a topic's documents when its legend entry or bars are
/// clicked. No network: no CDN, no fonts, no images. Documents are user data: every text and word written into the
/// markup is HTML-escaped, and the JSON block escapes &lt; &gt; &amp; so a document can never close the script.
/// </summary>
internal static class TopicMapHtml
{
    private const int Width = 900, Height = 700, Margin = 16, LabelRoom = 70, LabelledTopics = 20, BarWords = 8;

    /// <summary>The id of the inline JSON block holding the title, topics and points (x, y, topic, text).</summary>
    public const string DataElementId = "loom-data";

    public static void Save(float[][] layout, IReadOnlyList<string> documents, int[] assignments, IReadOnlyList<Topic> topics, string path, string title)
        => File.WriteAllText(path, Render(layout, documents, assignments, topics, title), Encoding.UTF8);

    public static string Render(float[][] layout, IReadOnlyList<string> documents, int[] assignments, IReadOnlyList<Topic> topics, string title)
    {
        if (layout.Length != documents.Count || assignments.Length != documents.Count)
            throw new ArgumentException($"{layout.Length} map points and {assignments.Length} assignments for {documents.Count} documents");
        var (xs, ys) = ToSvgCoordinates(layout);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Escape(title)).Append("</title>\n<style>")
            .Append(Style).Append("</style>\n</head>\n<body>\n<h1>").Append(Escape(title)).Append("</h1>\n<div class=\"main\">\n");

        html.Append(Invariant($"<svg id=\"map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\">\n<g id=\"points\">\n"));
        // Outliers first, so the topics are drawn over them.
        foreach (int i in Enumerable.Range(0, documents.Count).OrderBy(i => assignments[i] == -1 ? 0 : 1))
            html.Append(Invariant($"<circle cx=\"{xs[i]:0.#}\" cy=\"{ys[i]:0.#}\" r=\"{(assignments[i] == -1 ? 2 : 3)}\" fill=\"{Colour(assignments[i])}\" class=\"{(assignments[i] == -1 ? "outlier" : "doc")}\" data-i=\"{i}\" data-topic=\"{assignments[i]}\"/>\n"));
        html.Append("</g>\n<g id=\"labels\">\n");
        foreach (var topic in topics.Where(t => t.Id >= 0 && t.Id < LabelledTopics))
        {
            var members = Enumerable.Range(0, documents.Count).Where(i => assignments[i] == topic.Id).ToArray();
            if (members.Length == 0) continue;
            html.Append(Invariant($"<text x=\"{Math.Clamp(Median(members.Select(i => xs[i])), LabelRoom, Width - LabelRoom):0.#}\" y=\"{Median(members.Select(i => ys[i])):0.#}\">")).Append(Escape(TopicPlots.Name(topic, 2))).Append("</text>\n");
        }
        html.Append("</g>\n</svg>\n");

        html.Append("<aside>\n<div id=\"info\">Hover a point to read its document; click a topic to highlight its documents.</div>\n<h2>Topics</h2>\n<ul id=\"legend\">\n");
        foreach (var topic in topics)
            html.Append(Invariant($"<li data-topic=\"{topic.Id}\"><span class=\"swatch\" style=\"background:{Colour(topic.Id)}\"></span><b>{(topic.Id == -1 ? "outliers" : topic.Id.ToString(CultureInfo.InvariantCulture))}</b> ({topic.Size}) "))
                .Append(Escape(topic.Label ?? string.Join(" ", topic.Words.Take(5).Select(w => w.Word)))).Append("</li>\n");
        html.Append("</ul>\n</aside>\n</div>\n<h2>Top words per topic</h2>\n<div id=\"bars\">\n");
        foreach (var topic in topics.Where(t => t.Id >= 0))
        {
            var words = topic.Words.Take(BarWords).ToArray();
            float top = words.Length == 0 ? 1 : Math.Max(words.Max(w => w.Score), 1e-12f);
            html.Append(Invariant($"<div class=\"panel\" data-topic=\"{topic.Id}\"><h3>topic {topic.Id} ({topic.Size} docs)</h3>\n"));
            foreach (var word in words)
                html.Append("<div class=\"bar\"><span class=\"word\">").Append(Escape(word.Word))
                    .Append(Invariant($"</span><span class=\"track\"><span class=\"fill\" style=\"width:{Math.Clamp(100 * word.Score / top, 0, 100):0.#}%;background:{Colour(topic.Id)}\"></span></span></div>\n"));
            html.Append("</div>\n");
        }
        html.Append("</div>\n<script type=\"application/json\" id=\"").Append(DataElementId).Append("\">")
            .Append(DataJson(layout, documents, assignments, topics, title)).Append("</script>\n<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The data the script reads. The default encoder writes &lt;, &gt;, &amp; as \u escapes: safe inside a script element.</summary>
    private static string DataJson(float[][] layout, IReadOnlyList<string> documents, int[] assignments, IReadOnlyList<Topic> topics, string title)
        => JsonSerializer.Serialize(new
        {
            title,
            topics = topics.Select(t => new { id = t.Id, size = t.Size, words = t.Words.Select(w => w.Word), label = t.Label, colour = Colour(t.Id) }),
            points = Enumerable.Range(0, documents.Count).Select(i => new { x = layout[i][0], y = layout[i][1], topic = assignments[i], text = documents[i] }),
        });

    /// <summary>The map scaled into the SVG box, keeping the aspect ratio (y grows downwards in SVG).</summary>
    private static (double[] X, double[] Y) ToSvgCoordinates(float[][] layout)
    {
        if (layout.Length == 0) return ([], []);
        double minX = layout.Min(p => p[0]), maxX = layout.Max(p => p[0]), minY = layout.Min(p => p[1]), maxY = layout.Max(p => p[1]);
        double scale = Math.Min((Width - 2 * Margin) / Math.Max(maxX - minX, 1e-9), (Height - 2 * Margin) / Math.Max(maxY - minY, 1e-9));
        double offsetX = (Width - scale * (maxX - minX)) / 2, offsetY = (Height - scale * (maxY - minY)) / 2;
        return (layout.Select(p => offsetX + scale * (p[0] - minX)).ToArray(), layout.Select(p => Height - offsetY - scale * (p[1] - minY)).ToArray());
    }

    private static string Colour(int topic) => topic < 0 ? "#b0b0b0" : TopicPlots.Palette.GetColor(topic).ToHex()[..7];

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private const string Style = """

        body { font-family: sans-serif; margin: 16px; color: #222; }
        h1 { font-size: 18px; } h2 { font-size: 15px; margin: 12px 0 6px; } h3 { font-size: 12px; margin: 0 0 4px; }
        .main { display: flex; gap: 16px; align-items: flex-start; }
        #map { border: 1px solid #ddd; background: #fff; flex: none; }
        #map circle.doc { opacity: 0.75; cursor: pointer; }
        #map circle.outlier { opacity: 0.3; cursor: pointer; }
        #map circle.dim { opacity: 0.06; }
        #map circle.pinned { stroke: #000; stroke-width: 1.5; opacity: 1; }
        #map text { font-size: 12px; font-weight: bold; text-anchor: middle; pointer-events: none; fill: #333;
                    paint-order: stroke; stroke: #fff; stroke-width: 3px; }
        #map.selecting text { display: none; }
        aside { width: 340px; font-size: 13px; }
        #info { min-height: 120px; max-height: 260px; overflow: auto; border: 1px solid #ddd; padding: 8px; white-space: pre-wrap; background: #fafafa; }
        #legend { list-style: none; padding: 0; margin: 0; max-height: 420px; overflow: auto; }
        #legend li, .panel { cursor: pointer; }
        #legend li { padding: 2px 4px; }
        #legend li.selected, .panel.selected { background: #ffeaa0; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
        #bars { display: grid; grid-template-columns: repeat(auto-fill, 220px); gap: 10px; }
        .panel { border: 1px solid #ddd; padding: 6px; font-size: 11px; }
        .bar { display: flex; align-items: center; height: 14px; }
        .word { flex: none; width: 90px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .track { flex: 1; } .fill { display: block; height: 10px; }

        """;

    // Text goes in with textContent only, never innerHTML: the documents stay text.
    private const string Script = """

        (() => {
          const data = JSON.parse(document.getElementById('loom-data').textContent);
          const map = document.getElementById('map'), info = document.getElementById('info');
          const circles = Array.from(map.querySelectorAll('circle'));
          const topicName = id => {
            const t = data.topics.find(t => t.id === id);
            if (!t) return 'topic ' + id;
            return id === -1 ? 'outlier' : 'topic ' + id + (t.label ? ': ' + t.label : '') + ' — ' + t.words.slice(0, 5).join(' ');
          };
          let selected = null, pinned = null;
          const show = i => {
            const p = data.points[i];
            info.textContent = '';
            const head = document.createElement('b');
            head.textContent = topicName(p.topic);
            info.append(head, '\n\n' + p.text);
          };
          const select = topic => {
            selected = selected === topic ? null : topic;
            map.classList.toggle('selecting', selected !== null);
            for (const c of circles) c.classList.toggle('dim', selected !== null && Number(c.dataset.topic) !== selected);
            for (const e of document.querySelectorAll('[data-topic]'))
              if (e.tagName !== 'circle') e.classList.toggle('selected', Number(e.dataset.topic) === selected);
          };
          map.addEventListener('mouseover', e => { if (e.target.tagName === 'circle' && pinned === null) show(Number(e.target.dataset.i)); });
          map.addEventListener('click', e => {
            if (pinned) pinned.classList.remove('pinned');
            if (e.target.tagName !== 'circle') { pinned = null; if (selected !== null) select(selected); return; }
            pinned = e.target;
            pinned.classList.add('pinned');
            show(Number(pinned.dataset.i));
            if (selected !== Number(pinned.dataset.topic)) select(Number(pinned.dataset.topic));
          });
          for (const e of document.querySelectorAll('#legend li, .panel'))
            e.addEventListener('click', () => select(Number(e.dataset.topic)));
        })();

        """;
}
