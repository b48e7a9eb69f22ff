namespace Loom.Generation;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>Still running (or never started).</summary>
    None,

    /// <summary>The maximum number of tokens was generated.</summary>
    Length,

    /// <summary>A stop token (end of sequence / end of turn) was sampled.</summary>
    StopToken,

    /// <summary>A stop string appeared in the text.</summary>
    StopString,

    /// <summary>The KV cache (context) is full.</summary>
    ContextFull,

    /// <summary>The caller cancelled or stopped reading the stream, or the model failed.</summary>
    Cancelled,
}
