using System.Text;

namespace Loom.Embeddings;

/// <summary>Text as word2vec sentences: one per line, lower-cased words of letters, digits and inner apostrophes.</summary>
public static class Word2VecCorpus
{
    public static IEnumerable<IEnumerable<string>> ReadLines(string path) =>
        File.ReadLines(path, Encoding.UTF8).Select(Words).Where(w => w.Count > 0);

    public static IReadOnlyList<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        for (int i = 0; i <= line.Length; i++)
        {
            char c = i < line.Length ? line[i] : ' ';
            bool inner = c == '\'' && word.Length > 0 && i + 1 < line.Length && char.IsLetter(line[i + 1]);
            if (char.IsLetterOrDigit(c) || inner) word.Append(char.ToLowerInvariant(c));
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
        return words;
    }
}
