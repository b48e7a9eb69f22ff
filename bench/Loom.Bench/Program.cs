// Side-by-side benchmarks against Loom's peers, printing ratios.
// Usage: dotnet run -c Release --project bench/Loom.Bench -- <suite> [options]
// One file per suite; each exposes Run(string[] args) and is listed here.
var suites = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["gemm"] = GemmBench.Run,
    ["encoder"] = EncoderBench.Run,
    ["tokenizers"] = Loom.Bench.TokenizerBench.Run,
    ["ann"] = AnnBench.Run,
    ["retrieval"] = RetrievalBench.Run,
    ["fortunes"] = FortunesBench.Run,
    ["decoder"] = DecoderBench.Run,
    ["gguf-open"] = GgufOpenBench.Run,
    ["gguf-tokenizers"] = Loom.Bench.GgufTokenizerBench.Run,
    ["sentencepiece"] = Loom.Bench.SentencePieceBench.Run,
    ["word2vec"] = Loom.Bench.Word2VecBench.Run,
};

if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine($"usage: Loom.Bench <suite> [options]; suites: {string.Join(", ", suites.Keys)}");
    return 2;
}
return suite(args[1..]);
