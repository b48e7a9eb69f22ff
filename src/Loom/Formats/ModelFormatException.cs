namespace Loom.Formats;

/// <summary>A model, tokenizer or weight file that Loom refuses: it names the file, where in it, and what is wrong.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string? path, long offset, string problem, Exception? inner = null)
        : base(Describe(path, offset, problem), inner)
    {
        FilePath = path;
        Offset = offset;
        Problem = problem;
    }

    public ModelFormatException(string? path, string problem, Exception? inner = null) : this(path, -1, problem, inner) { }

    /// <summary>The file refused, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>Byte offset of the problem in the file, or -1 when it is not about one place.</summary>
    public long Offset { get; }

    /// <summary>The problem alone, without file and offset.</summary>
    public string Problem { get; }

    private static string Describe(string? path, long offset, string problem)
    {
        string where = path is null ? "" : Path.GetFileName(path);
        if (offset >= 0) where = where.Length == 0 ? $"at byte {offset}" : $"{where} at byte {offset}";
        return where.Length == 0 ? problem : $"{where}: {problem}";
    }
}
