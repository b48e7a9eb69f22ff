using System.Text;
using System.Text.RegularExpressions;

namespace Loom.Cli;

/// <summary>Reads a float32 [rows × columns] NumPy .npy file, as <c>loom embed --out x.npy</c> writes it.</summary>
internal static partial class NpyMatrix
{
    [GeneratedRegex(@"'descr':\s*'(?<descr>[^']*)'.*'fortran_order':\s*(?<fortran>True|False).*'shape':\s*\((?<rows>\d+),\s*(?<cols>\d+)\)", RegexOptions.Singleline)]
    private static partial Regex Header();

    public static float[][] Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        string name = Path.GetFileName(path);
        if (stream.Length < 10 || reader.ReadByte() != 0x93 || Encoding.ASCII.GetString(reader.ReadBytes(5)) != "NUMPY")
            throw new FormatException($"{name}: not a .npy file");
        byte major = reader.ReadByte();
        reader.ReadByte();
        long headerLength = major == 1 ? reader.ReadUInt16() : major is 2 or 3 ? reader.ReadUInt32() : throw new FormatException($"{name}: unknown .npy version {major}");
        if (headerLength > 65536 || stream.Position + headerLength > stream.Length) throw new FormatException($"{name}: bad .npy header length");
        var match = Header().Match(Encoding.ASCII.GetString(reader.ReadBytes((int)headerLength)));
        if (!match.Success) throw new FormatException($"{name}: expected a 2-D array header");
        if (match.Groups["descr"].Value != "<f4" || match.Groups["fortran"].Value != "False")
            throw new FormatException($"{name}: expected little-endian float32 in C order, found '{match.Groups["descr"].Value}'");
        if (!int.TryParse(match.Groups["rows"].Value, out int rows) || !int.TryParse(match.Groups["cols"].Value, out int cols) || cols == 0)
            throw new FormatException($"{name}: bad shape");
        if (stream.Length - stream.Position != (long)rows * cols * 4)
            throw new FormatException($"{name}: {stream.Length - stream.Position} data bytes for a {rows} × {cols} float32 array");
        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            result[i] = new float[cols];
            for (int j = 0; j < cols; j++) result[i][j] = reader.ReadSingle();
        }
        return result;
    }
}
