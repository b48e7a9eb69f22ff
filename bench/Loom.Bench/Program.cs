// Side-by-side benchmarks against Loom's peers. Usage: dotnet run -c Release --project bench/Loom.Bench -- <suite>
Console.Error.WriteLine("usage: Loom.Bench <suite>   (suites are added per capability)");
return 1;
