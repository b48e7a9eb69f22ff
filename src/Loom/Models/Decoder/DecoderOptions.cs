namespace Loom.Models.Decoder;

/// <summary>How a decoder runs.</summary>
public sealed record DecoderOptions
{
    /// <summary>Worker threads for the matrix products and attention; 0 = all cores.</summary>
    public int Threads { get; init; }
}
