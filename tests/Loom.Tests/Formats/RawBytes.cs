using System.Text;

namespace Loom.Tests.Formats;

/// <summary>Assembles little-endian bytes by hand, independently of Loom's writers, to build files exactly as a spec lays them out.</summary>
internal sealed class RawBytes
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public RawBytes U8(byte v) { _bytes.Add(v); return this; }
    public RawBytes U16(ushort v) => Add(BitConverter.GetBytes(v));
    public RawBytes U32(uint v) => Add(BitConverter.GetBytes(v));
    public RawBytes U64(ulong v) => Add(BitConverter.GetBytes(v));
    public RawBytes I32(int v) => Add(BitConverter.GetBytes(v));
    public RawBytes F32(float v) => Add(BitConverter.GetBytes(v));
    public RawBytes F64(double v) => Add(BitConverter.GetBytes(v));
    public RawBytes Ascii(string s) => Add(Encoding.ASCII.GetBytes(s));

    /// <summary>A GGUF string: u64 length then UTF-8 bytes.</summary>
    public RawBytes Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return U64((ulong)b.Length).Add(b);
    }

    public RawBytes Add(byte[] bytes) { _bytes.AddRange(bytes); return this; }

    public RawBytes PadTo(int alignment)
    {
        while (_bytes.Count % alignment != 0) _bytes.Add(0);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();
}
