using System.Runtime.InteropServices;
using System.Text;
using Loom.Tensors;

namespace Loom.Tests.Formats;

/// <summary>
/// llama.cpp's own GGUF reader and writer (the <c>gguf_*</c> functions of ggml, from the libggml-base that
/// LLamaSharp.Backend.Cpu 0.30.0 ships), called directly: the reference implementation of the format.
/// Only valid files are given to it; the hostile ones are Loom's to refuse.
/// </summary>
internal static unsafe class LlamaCppGguf
{
    [StructLayout(LayoutKind.Sequential)]
    private struct GgufInitParams
    {
        public byte NoAlloc;
        public nint* Context;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct GgmlInitParams
    {
        public nuint MemorySize;
        public nint MemoryBuffer;
        public byte NoAlloc;
    }

    private static readonly nint Library = NativeLibrary.Load(
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "noavx", "libggml-base.so"));

    private static nint F(string name) => NativeLibrary.GetExport(Library, name);

    /// <summary>ggml's bytes per block and elements per block of a type.</summary>
    public static (long Bytes, long Elements) BlockLayout(GgmlType type) =>
        ((long)((delegate* unmanaged<uint, nuint>)F("ggml_type_size"))((uint)type),
         ((delegate* unmanaged<uint, long>)F("ggml_blck_size"))((uint)type));

    /// <summary>What llama.cpp sees in a file: version, alignment, data offset, metadata (as .NET values) and tensors.</summary>
    public sealed record View(uint Version, long Alignment, long DataOffset, List<(string Key, uint Type, object Value)> Metadata,
        List<(string Name, uint Type, long Offset, long Size, long[] Dimensions)> Tensors);

    /// <summary>Reads a file with gguf_init_from_file; null when llama.cpp refuses it.</summary>
    public static View? Read(string path)
    {
        nint ggmlContext = 0;
        var init = new GgufInitParams { NoAlloc = 1, Context = &ggmlContext };
        nint ctx;
        fixed (byte* name = Utf8(path))
            ctx = ((delegate* unmanaged<byte*, GgufInitParams, nint>)F("gguf_init_from_file"))(name, init);
        if (ctx == 0) return null;
        try
        {
            var metadata = new List<(string, uint, object)>();
            long n = ((delegate* unmanaged<nint, long>)F("gguf_get_n_kv"))(ctx);
            for (long i = 0; i < n; i++)
            {
                string key = Str(((delegate* unmanaged<nint, long, byte*>)F("gguf_get_key"))(ctx, i));
                uint type = ((delegate* unmanaged<nint, long, uint>)F("gguf_get_kv_type"))(ctx, i);
                metadata.Add((key, type, type == 9 ? ReadArray(ctx, i) : ReadScalar(ctx, i, type)));
            }
            var tensors = new List<(string, uint, long, long, long[])>();
            long count = ((delegate* unmanaged<nint, long>)F("gguf_get_n_tensors"))(ctx);
            for (long i = 0; i < count; i++)
            {
                byte* name = ((delegate* unmanaged<nint, long, byte*>)F("gguf_get_tensor_name"))(ctx, i);
                // struct ggml_tensor starts { enum ggml_type type; ggml_backend_buffer * buffer; int64_t ne[4]; … }.
                long* tensor = (long*)((delegate* unmanaged<nint, byte*, nint>)F("ggml_get_tensor"))(ggmlContext, name);
                int rank = ((delegate* unmanaged<long*, int>)F("ggml_n_dims"))(tensor);
                tensors.Add((Str(name),
                    ((delegate* unmanaged<nint, long, uint>)F("gguf_get_tensor_type"))(ctx, i),
                    (long)((delegate* unmanaged<nint, long, nuint>)F("gguf_get_tensor_offset"))(ctx, i),
                    (long)((delegate* unmanaged<nint, long, nuint>)F("gguf_get_tensor_size"))(ctx, i),
                    new ReadOnlySpan<long>(tensor + 2, rank).ToArray()));
            }
            return new View(
                ((delegate* unmanaged<nint, uint>)F("gguf_get_version"))(ctx),
                (long)((delegate* unmanaged<nint, nuint>)F("gguf_get_alignment"))(ctx),
                (long)((delegate* unmanaged<nint, nuint>)F("gguf_get_data_offset"))(ctx),
                metadata, tensors);
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)F("gguf_free"))(ctx);
            if (ggmlContext != 0) ((delegate* unmanaged<nint, void>)F("ggml_free"))(ggmlContext);
        }
    }

    private static object ReadScalar(nint ctx, long i, uint type)
    {
        // gguf_get_val_data asserts (and aborts the process) on strings.
        if (type == 8) return Str(((delegate* unmanaged<nint, long, byte*>)F("gguf_get_val_str"))(ctx, i));
        nint data = ((delegate* unmanaged<nint, long, nint>)F("gguf_get_val_data"))(ctx, i);
        return type switch
        {
            0 => *(byte*)data, 1 => *(sbyte*)data, 2 => *(ushort*)data, 3 => *(short*)data, 4 => *(uint*)data, 5 => *(int*)data,
            6 => *(float*)data, 7 => *(byte*)data != 0, 10 => *(ulong*)data, 11 => *(long*)data, 12 => *(double*)data,
            _ => throw new InvalidOperationException($"type {type}"),
        };
    }

    private static object ReadArray(nint ctx, long i)
    {
        uint type = ((delegate* unmanaged<nint, long, uint>)F("gguf_get_arr_type"))(ctx, i);
        int n = (int)((delegate* unmanaged<nint, long, nuint>)F("gguf_get_arr_n"))(ctx, i);
        if (type == 8)
        {
            var strings = new string[n];
            for (int k = 0; k < n; k++) strings[k] = Str(((delegate* unmanaged<nint, long, nuint, byte*>)F("gguf_get_arr_str"))(ctx, i, (nuint)k));
            return strings;
        }
        byte* data = (byte*)((delegate* unmanaged<nint, long, nint>)F("gguf_get_arr_data"))(ctx, i);
        return type switch
        {
            0 => new ReadOnlySpan<byte>(data, n).ToArray(),
            1 => new ReadOnlySpan<sbyte>(data, n).ToArray(),
            2 => new ReadOnlySpan<ushort>(data, n).ToArray(),
            3 => new ReadOnlySpan<short>(data, n).ToArray(),
            4 => new ReadOnlySpan<uint>(data, n).ToArray(),
            5 => new ReadOnlySpan<int>(data, n).ToArray(),
            6 => new ReadOnlySpan<float>(data, n).ToArray(),
            7 => new ReadOnlySpan<byte>(data, n).ToArray().Select(b => b != 0).ToArray(),
            10 => new ReadOnlySpan<ulong>(data, n).ToArray(),
            11 => new ReadOnlySpan<long>(data, n).ToArray(),
            12 => new ReadOnlySpan<double>(data, n).ToArray(),
            _ => throw new InvalidOperationException($"array of type {type}"),
        };
    }

    /// <summary>Writes a file with llama.cpp's writer: metadata, then tensors given as (name, type, dims innermost first, bytes).</summary>
    public static void Write(string path, Action<Writer> metadata, IEnumerable<(string Name, GgmlType Type, long[] Dimensions, byte[] Data)> tensors)
    {
        nint ctx = ((delegate* unmanaged<nint>)F("gguf_init_empty"))();
        var list = tensors.ToList();
        var ggml = new GgmlInitParams { MemorySize = (nuint)(list.Sum(t => t.Data.Length + 1024) + 4096), NoAlloc = 0 };
        nint ggmlContext = ((delegate* unmanaged<GgmlInitParams, nint>)F("ggml_init"))(ggml);
        try
        {
            metadata(new Writer(ctx));
            foreach (var (name, type, dims, data) in list)
            {
                nint tensor;
                fixed (long* ne = dims)
                    tensor = ((delegate* unmanaged<nint, uint, int, long*, nint>)F("ggml_new_tensor"))(ggmlContext, (uint)type, dims.Length, ne);
                fixed (byte* n = Utf8(name)) ((delegate* unmanaged<nint, byte*, nint>)F("ggml_set_name"))(tensor, n);
                byte* target = (byte*)((delegate* unmanaged<nint, nint>)F("ggml_get_data"))(tensor);
                data.CopyTo(new Span<byte>(target, data.Length));
                ((delegate* unmanaged<nint, nint, void>)F("gguf_add_tensor"))(ctx, tensor);
            }
            byte ok;
            fixed (byte* p = Utf8(path)) ok = ((delegate* unmanaged<nint, byte*, byte, byte>)F("gguf_write_to_file"))(ctx, p, 0);
            if (ok == 0) throw new IOException("gguf_write_to_file failed");
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)F("gguf_free"))(ctx);
            ((delegate* unmanaged<nint, void>)F("ggml_free"))(ggmlContext);
        }
    }

    public sealed class Writer(nint ctx)
    {
        private void Set<T>(string name, string key, T value) where T : unmanaged
        {
            fixed (byte* k = Utf8(key)) ((delegate* unmanaged<nint, byte*, T, void>)F(name))(ctx, k, value);
        }

        public void U8(string key, byte v) => Set("gguf_set_val_u8", key, v);
        public void I8(string key, sbyte v) => Set("gguf_set_val_i8", key, v);
        public void U16(string key, ushort v) => Set("gguf_set_val_u16", key, v);
        public void I16(string key, short v) => Set("gguf_set_val_i16", key, v);
        public void U32(string key, uint v) => Set("gguf_set_val_u32", key, v);
        public void I32(string key, int v) => Set("gguf_set_val_i32", key, v);
        public void F32(string key, float v) => Set("gguf_set_val_f32", key, v);
        public void U64(string key, ulong v) => Set("gguf_set_val_u64", key, v);
        public void I64(string key, long v) => Set("gguf_set_val_i64", key, v);
        public void F64(string key, double v) => Set("gguf_set_val_f64", key, v);
        public void Bool(string key, bool v) => Set("gguf_set_val_bool", key, (byte)(v ? 1 : 0));

        public void Str(string key, string v)
        {
            fixed (byte* k = Utf8(key)) fixed (byte* s = Utf8(v)) ((delegate* unmanaged<nint, byte*, byte*, void>)F("gguf_set_val_str"))(ctx, k, s);
        }

        public void Array<T>(string key, uint type, T[] values) where T : unmanaged
        {
            fixed (byte* k = Utf8(key)) fixed (T* d = values)
                ((delegate* unmanaged<nint, byte*, uint, void*, nuint, void>)F("gguf_set_arr_data"))(ctx, k, type, d, (nuint)values.Length);
        }

        public void Strings(string key, string[] values)
        {
            var handles = values.Select(v => GCHandle.Alloc(Utf8(v), GCHandleType.Pinned)).ToArray();
            try
            {
                var pointers = handles.Select(h => h.AddrOfPinnedObject()).ToArray();
                fixed (byte* k = Utf8(key)) fixed (nint* p = pointers)
                    ((delegate* unmanaged<nint, byte*, nint*, nuint, void>)F("gguf_set_arr_str"))(ctx, k, p, (nuint)values.Length);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
        }
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private static string Str(byte* p) => Marshal.PtrToStringUTF8((nint)p)!;
}
