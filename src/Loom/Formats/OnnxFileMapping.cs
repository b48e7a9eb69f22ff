using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Loom.Formats;

/// <summary>A read-only memory-mapped file exposed as <see cref="Memory{T}"/>, so tensors can point into it without copying.</summary>
internal sealed unsafe class OnnxFileMapping : MemoryManager<byte>
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly int _length;
    private bool _disposed;

    public OnnxFileMapping(string path)
    {
        long length = new FileInfo(path).Length;
        if (length == 0) throw new ModelFormatException(path, 0, "the file is empty");
        // Protobuf messages are limited to 2 GB; larger ONNX models keep their weights in external files.
        if (length > int.MaxValue) throw new ModelFormatException(path, "the file is larger than 2 GB, the protobuf limit (external data is not supported)");
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
        _length = (int)length;
    }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Span<byte>(_pointer, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
