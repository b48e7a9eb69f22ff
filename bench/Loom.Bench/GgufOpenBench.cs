using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Loom.Formats;

/// <summary>
/// Opening a GGUF file (header, metadata, tensor list) with Loom's <see cref="GgufFile"/> against llama.cpp's
/// <c>gguf_init_from_file</c> (metadata only, from the ggml library LLamaSharp.Backend.Cpu ships), on a synthetic file
/// with a Qwen2.5-sized vocabulary (151,936 tokens and 151,387 merges) and 290 tensors.
/// Usage: Loom.Bench gguf-open [--runs N]
/// </summary>
internal static unsafe class GgufOpenBench
{
    [StructLayout(LayoutKind.Sequential)]
    private struct GgufInitParams
    {
        public byte NoAlloc;
        public nint Context;
    }

    public static int Run(string[] args)
    {
        int runs = args.Length >= 2 && args[0] == "--runs" ? int.Parse(args[1]) : 15;
        string path = Path.Combine(Path.GetTempPath(), "loom-bench-open.gguf");
        WriteSample(path);
        var library = NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "avx2", "libggml-base.so"));
        var init = (delegate* unmanaged<byte*, GgufInitParams, nint>)NativeLibrary.GetExport(library, "gguf_init_from_file");
        var free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "gguf_free");
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");

        double OpenLoom()
        {
            var clock = Stopwatch.StartNew();
            using (var file = GgufFile.Open(path))
                if (file.Metadata.GetArray<string>("tokenizer.ggml.tokens").Length == 0) throw new InvalidOperationException();
            return clock.Elapsed.TotalMilliseconds;
        }

        double OpenLlamaCpp()
        {
            var clock = Stopwatch.StartNew();
            nint ctx;
            fixed (byte* p = name) ctx = init(p, new GgufInitParams { NoAlloc = 1 });
            if (ctx == 0) throw new InvalidOperationException("llama.cpp refused the file");
            free(ctx);
            return clock.Elapsed.TotalMilliseconds;
        }

        OpenLoom();
        OpenLlamaCpp();
        double loom = double.MaxValue, llama = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            loom = Math.Min(loom, OpenLoom());
            llama = Math.Min(llama, OpenLlamaCpp());
        }
        Console.WriteLine($"file: {new FileInfo(path).Length / 1e6:F1} MB, 151,936 tokens, 151,387 merges, 290 tensors; best of {runs}, alternating");
        Console.WriteLine($"Loom GgufFile.Open        {loom,8:F1} ms");
        Console.WriteLine($"llama.cpp gguf_init_from_file {llama,4:F1} ms");
        Console.WriteLine($"ratio Loom / llama.cpp    {loom / llama,8:F2}");
        File.Delete(path);
        return 0;
    }

    private static void WriteSample(string path)
    {
        var random = new Random(1);
        string Piece(int i) => (i % 3 == 0 ? "Ġ" : "") + new string((char)('a' + i % 26), 1 + i % 7) + i.ToString();
        var tokens = Enumerable.Range(0, 151_936).Select(Piece).ToArray();
        var merges = Enumerable.Range(0, 151_387).Select(i => Piece(i) + " " + Piece(i + 1)).ToArray();
        var writer = new GgufWriter()
            .AddMetadata("general.architecture", "qwen2")
            .AddMetadata("qwen2.block_count", 24u)
            .AddMetadata("qwen2.embedding_length", 896u)
            .AddMetadata("tokenizer.ggml.model", "gpt2")
            .AddMetadata("tokenizer.ggml.tokens", tokens)
            .AddMetadata("tokenizer.ggml.token_type", Enumerable.Repeat(1, tokens.Length).ToArray())
            .AddMetadata("tokenizer.ggml.merges", merges);
        var data = new float[64 * 64];
        for (int i = 0; i < 290; i++) writer.AddTensor($"blk.{i / 12}.tensor_{i % 12}.weight", data, 64, 64);
        writer.Write(path);
    }
}
