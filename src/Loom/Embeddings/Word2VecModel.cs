using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Loom.Formats;

namespace Loom.Embeddings;

/// <summary>A word (token) in a neighbour or analogy answer, with its cosine similarity.</summary>
public readonly record struct WordSimilarity(string Word, float Cosine);

/// <summary>
/// Trained word vectors: lookup, nearest neighbours, 3CosAdd analogies, and the word2vec text and binary formats
/// (the ones gensim's KeyedVectors.load_word2vec_format reads).
/// </summary>
public sealed class Word2VecModel
{
    private readonly Dictionary<string, int> _ids;
    private readonly float[] _vectors;
    private readonly float[] _unit;

    internal Word2VecModel(string[] vocabulary, long[]? counts, float[] vectors, int dimensions, float[]? outputVectors = null)
    {
        OutputVectors = outputVectors;
        Vocabulary = vocabulary;
        Counts = counts;
        Dimensions = dimensions;
        _vectors = vectors;
        _ids = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Length; i++)
            if (!_ids.TryAdd(vocabulary[i], i)) throw new ArgumentException($"'{vocabulary[i]}' appears twice in the vocabulary");
        _unit = new float[vectors.Length];
        for (int i = 0; i < vocabulary.Length; i++)
        {
            var v = vectors.AsSpan(i * dimensions, dimensions);
            float norm = TensorPrimitives.Norm(v);
            if (norm > 0) TensorPrimitives.Divide(v, norm, _unit.AsSpan(i * dimensions, dimensions));
        }
    }

    /// <summary>Words, most frequent first (when trained by Loom).</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>Training counts per word, when known (not stored by the word2vec formats).</summary>
    public IReadOnlyList<long>? Counts { get; }

    public int Dimensions { get; }

    /// <summary>The negative-sampling output vectors (context side), when trained by Loom; not saved.</summary>
    internal float[]? OutputVectors { get; }

    internal int IdOf(string word) => Id(word);

    public bool Contains(string word) => _ids.ContainsKey(word);

    /// <exception cref="KeyNotFoundException">the word is not in the vocabulary</exception>
    public ReadOnlySpan<float> this[string word] => _vectors.AsSpan(Id(word) * Dimensions, Dimensions);

    public float Similarity(string a, string b) => TensorPrimitives.Dot(Unit(Id(a)), Unit(Id(b)));

    /// <summary>The <paramref name="count"/> words closest (cosine) to <paramref name="word"/>.</summary>
    public IReadOnlyList<WordSimilarity> MostSimilar(string word, int count = 10) =>
        Nearest(Unit(Id(word)).ToArray(), count, [Id(word)]);

    /// <summary>"a is to b as c is to ?" by 3CosAdd: the words closest to b − a + c (unit vectors), a, b and c excluded.</summary>
    public IReadOnlyList<WordSimilarity> Analogy(string a, string b, string c, int count = 10)
    {
        var query = new float[Dimensions];
        TensorPrimitives.Subtract(Unit(Id(b)), Unit(Id(a)), query);
        TensorPrimitives.Add(query, Unit(Id(c)), query);
        return Nearest(query, count, [Id(a), Id(b), Id(c)]);
    }

    private IReadOnlyList<WordSimilarity> Nearest(float[] query, int count, int[] exclude)
    {
        float norm = TensorPrimitives.Norm(query);
        if (norm > 0) TensorPrimitives.Divide(query, norm, query);
        var best = new PriorityQueue<int, float>();
        for (int i = 0; i < Vocabulary.Count; i++)
        {
            if (exclude.Contains(i)) continue;
            float cos = TensorPrimitives.Dot(query, Unit(i));
            if (best.Count < count) best.Enqueue(i, cos);
            else if (best.TryPeek(out _, out float worst) && cos > worst) best.EnqueueDequeue(i, cos);
        }
        var result = new List<WordSimilarity>();
        while (best.TryDequeue(out int id, out float cos)) result.Add(new(Vocabulary[id], cos));
        result.Reverse();
        return result;
    }

    private ReadOnlySpan<float> Unit(int id) => _unit.AsSpan(id * Dimensions, Dimensions);

    private int Id(string word) => _ids.TryGetValue(word, out int id) ? id : throw new KeyNotFoundException($"'{word}' is not in the vocabulary");

    /// <summary>Writes "count dims" then one "word v1 v2 …" line per word.</summary>
    public void SaveText(string path) => Atomically(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write($"{Vocabulary.Count} {Dimensions}\n");
        for (int i = 0; i < Vocabulary.Count; i++)
        {
            writer.Write(Vocabulary[i]);
            foreach (float x in _vectors.AsSpan(i * Dimensions, Dimensions)) writer.Write(" " + x.ToString("R", CultureInfo.InvariantCulture));
            writer.Write('\n');
        }
    });

    /// <summary>Writes "count dims\n" then per word its UTF-8 bytes, a space, dims little-endian float32s and "\n".</summary>
    public void SaveBinary(string path) => Atomically(path, stream =>
    {
        stream.Write(Encoding.ASCII.GetBytes($"{Vocabulary.Count} {Dimensions}\n"));
        var bytes = new byte[Dimensions * sizeof(float)];
        for (int i = 0; i < Vocabulary.Count; i++)
        {
            stream.Write(Encoding.UTF8.GetBytes(Vocabulary[i] + " "));
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(_vectors.AsSpan(i * Dimensions, Dimensions)).CopyTo(bytes);
            stream.Write(bytes);
            stream.WriteByte((byte)'\n');
        }
    });

    /// <summary>Reads the word2vec binary format, or the text format when <paramref name="binary"/> is false.</summary>
    /// <exception cref="ModelFormatException">a bad header, a truncated or malformed entry, a duplicate word</exception>
    public static Word2VecModel Load(string path, bool binary) => Word2VecFormat.Read(path, binary);

    private static void Atomically(string path, Action<Stream> write)
    {
        // Write beside the target, then rename: a crash mid-write never leaves a half-written model.
        var temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write)) write(stream);
        File.Move(temporary, path, overwrite: true);
    }
}
