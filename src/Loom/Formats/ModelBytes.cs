using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Loom.Formats;

/// <summary>
/// The bytes of a model file, read in place: a read-only memory mapping of the file, or a pinned array.
/// Slices are handed out as <see cref="ReadOnlyMemory{T}"/> over the mapping; nothing is copied.
/// Every read is bounds-checked against <see cref="Length"/> by the caller (see <see cref="ByteCursor"/>).
/// </summary>
internal sealed unsafe class ModelBytes : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private GCHandle _pin;
    private byte* _pointer;

    private ModelBytes(string? path, byte* pointer, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, GCHandle pin)
    {
        Path = path;
        _pointer = pointer;
        Length = length;
        _map = map;
        _view = view;
        _pin = pin;
    }

    /// <summary>The file name used in error messages (null for anonymous bytes).</summary>
    public string? Path { get; }

    public long Length { get; }

    /// <summary>Maps <paramref name="path"/> read-only. Empty files are given as zero bytes (mapping them is not allowed).</summary>
    public static ModelBytes Map(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot open the file: {e.Message}", e);
        }
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new ModelFormatException(path, "not a regular file");
        }
        long length = stream.Length;
        if (length == 0)
        {
            stream.Dispose();
            return new ModelBytes(path, null, 0, null, null, default);
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            // The mapping owns the stream from here on (leaveOpen: false).
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new ModelBytes(path, pointer + view.PointerOffset, length, map, view, default);
        }
        catch (Exception e)
        {
            view?.Dispose();
            if (map is null) stream.Dispose();
            else map.Dispose();
            if (e is IOException or UnauthorizedAccessException) throw new ModelFormatException(path, $"cannot map the file: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Reads <paramref name="bytes"/> in place (pinned until disposed).</summary>
    public static ModelBytes Pin(byte[] bytes, string? name)
    {
        var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        return new ModelBytes(name, (byte*)pin.AddrOfPinnedObject(), bytes.Length, null, null, pin);
    }

    /// <summary>A span over [offset, offset + length); the caller has checked the range.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        Check(offset, length);
        return new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    /// <summary>A memory over [offset, offset + length) that stays valid until this object is disposed.</summary>
    public ReadOnlyMemory<byte> Memory(long offset, int length)
    {
        Check(offset, length);
        return length == 0 ? ReadOnlyMemory<byte>.Empty : new Slice(this, offset, length).Memory;
    }

    private void Check(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_pointer == null && Length > 0, this);
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length}) is outside the {Length} bytes");
    }

    public void Dispose()
    {
        if (_pointer == null) return;
        _pointer = null;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }
        if (_pin.IsAllocated) _pin.Free();
    }

    /// <summary>One slice of the mapping as a <see cref="Memory{T}"/>; it refuses access once the owner is disposed.</summary>
    private sealed class Slice(ModelBytes owner, long offset, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(owner._pointer == null, owner);
            return new Span<byte>(owner._pointer + offset, length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(owner._pointer == null, owner);
            if ((uint)elementIndex > (uint)length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
            return new MemoryHandle(owner._pointer + offset + elementIndex);
        }

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
