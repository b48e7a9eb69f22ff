namespace Loom.Tokenization;

/// <summary>The token types of GGUF's tokenizer.ggml.token_type (SentencePiece's piece types).</summary>
public enum GgufTokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
