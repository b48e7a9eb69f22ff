using Loom.Formats;
using Spectre.Console;

namespace Loom.Cli.Commands;

/// <summary>Shared by the encoder commands (embed, similarity, attention): refusals are one line on stderr and a non-zero exit code.</summary>
internal static class EncoderCli
{
    /// <summary>A console on stderr, for progress bars that must not mix with data on stdout.</summary>
    public static IAnsiConsole Stderr { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static int Fail(string reason)
    {
        Console.Error.WriteLine($"loom: {reason}");
        return 1;
    }

    /// <summary>Runs a command body, turning the errors a user can cause into one-line refusals.</summary>
    public static Task<int> Guard(Func<int> body)
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (Exception e) when (e is ModelFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or IOException or NotSupportedException)
        {
            return Task.FromResult(Fail(e.Message));
        }
        catch (OperationCanceledException)
        {
            return Task.FromResult(Fail("cancelled"));
        }
    }
}
