using System.CommandLine;
using Loom.Cli.Commands;

var root = new RootCommand("Loom: hands-on language models for .NET");
// One file per command under Commands/; each exposes Create().
Command[] commands =
[
    VersionCommand.Create(),
    InfoCommand.Create(),
    IndexCommand.Create(),
    SearchCommand.Create(),
    AskCommand.Create(),
    ClassifyCommand.Create(),
    GenerateCommand.Create(),
    NextTokenCommand.Create(),
];
foreach (var command in commands) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
