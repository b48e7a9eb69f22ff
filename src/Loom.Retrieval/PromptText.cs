using Microsoft.Extensions.AI;

namespace Loom.Retrieval;

/// <summary>Keeps retrieved text data: it is escaped so it cannot close the tags that delimit it, and requests carry no tools.</summary>
internal static class PromptText
{
    /// <summary>Escapes &amp;, &lt; and &gt; so a passage cannot forge &lt;/source&gt; or open a new block.</summary>
    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public static string Attribute(string text) => Escape(text).Replace("\"", "&quot;");

    /// <summary>A copy of the options with tools removed and tool calling off.</summary>
    public static ChatOptions WithoutTools(ChatOptions? options)
    {
        var copy = options?.Clone() ?? new ChatOptions();
        copy.Tools = null;
        copy.ToolMode = ChatToolMode.None;
        return copy;
    }
}
