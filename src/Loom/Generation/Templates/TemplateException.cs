namespace Loom.Generation.Templates;

/// <summary>A chat template could not be parsed or rendered.</summary>
public class TemplateException(string message, int line = 0) : Exception(line > 0 ? $"{message} (template line {line})" : message)
{
    /// <summary>1-based line of the template where the problem is, 0 if unknown.</summary>
    public int Line { get; } = line;
}

/// <summary>The template text is not valid (in the supported Jinja subset).</summary>
public sealed class TemplateSyntaxException(string message, int line) : TemplateException(message, line);

/// <summary>The template called <c>raise_exception(message)</c>, e.g. because roles do not alternate.</summary>
public sealed class TemplateRaisedException(string message) : TemplateException(message)
{
    /// <summary>The template's own message.</summary>
    public string TemplateMessage { get; } = message;
}

/// <summary>Rendering exceeded a <see cref="TemplateLimits"/> bound (runaway loop, recursion or output).</summary>
public sealed class TemplateLimitException(string message) : TemplateException(message);
