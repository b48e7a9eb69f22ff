using System.CommandLine;
using Loom.Cli.Commands;

var root = new RootCommand("Loom: hands-on language models for .NET");
// One file per command under Commands/; each exposes Create().
Command[] commands =
[
    VersionCommand.Create(),
    EmbedCommand.Create(),
    SimilarityCommand.Create(),
    AttentionCommand.Create(),
    InfoCommand.Create(),
    IndexCommand.Create(),
    SearchCommand.Create(),
    AskCommand.Create(),
    EvalCommand.Create(),
    ClassifyCommand.Create(),
    TokenizeCommand.Create(),
    DetokenizeCommand.Create(),
    Word2VecCommand.Create(),
    TrainTokenizerCommand.Create(),
    TopicsCommand.Create(),
    GenerateCommand.Create(),
    NextTokenCommand.Create(),
    ChatCommand.Create(),
];
foreach (var command in commands) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
