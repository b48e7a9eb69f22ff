namespace Loom.Generation;

/// <summary>
/// Finds stop strings in streamed text. Text that could still turn into a stop string is held back, so a
/// stop string is never emitted, not even its first characters.
/// </summary>
public sealed class StopStringMatcher(IReadOnlyList<string> stopStrings)
{
    private string _pending = "";

    /// <summary>True once a stop string has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds streamed text and returns what can be released now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        _pending += text;
        if (stopStrings.Count == 0) return Take(_pending.Length);

        int first = -1;
        foreach (string stop in stopStrings)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (first >= 0)
        {
            Stopped = true;
            string before = _pending[..first];
            _pending = "";
            return before;
        }
        return Take(_pending.Length - LongestHeldSuffix());
    }

    /// <summary>Releases what is held back (generation ended without completing a stop string).</summary>
    public string Flush() => Take(_pending.Length);

    // The longest suffix of the pending text that is a proper prefix of some stop string.
    private int LongestHeldSuffix()
    {
        int longest = 0;
        foreach (string stop in stopStrings)
        {
            for (int length = Math.Min(stop.Length - 1, _pending.Length); length > longest; length--)
            {
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }

    private string Take(int count)
    {
        string released = _pending[..count];
        _pending = _pending[count..];
        return released;
    }
}
