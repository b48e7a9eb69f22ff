using Loom.Classification;
using Microsoft.Extensions.AI;

namespace Loom.Tests.Classification;

public class GenerativeClassifierTests
{
    private static readonly string[] Labels = ["work", "homework", "love"];

    [Fact]
    public async Task PromptListsTheLabelsAndExactAnswersScoreOne()
    {
        var client = new ScriptedChatClient(_ => " \"Love\".");
        var classifier = new GenerativeClassifier(client, Labels, new GenerativeClassifierOptions
        {
            Descriptions = new Dictionary<string, string> { ["love"] = "romance and heartbreak" },
        });
        var prediction = await classifier.ClassifyOneAsync("Roses are red");
        Assert.Equal(new ClassPrediction("love", 1), prediction);
        string system = client.Requests[0][0].Text;
        Assert.All(Labels, l => Assert.Contains("- " + l, system));
        Assert.Contains("love: romance and heartbreak", system);
        Assert.Contains("Roses are red", client.Requests[0][1].Text);
    }

    [Fact]
    public async Task AnswerNamingOneLabelAmongWordsScoresHalf()
    {
        // "homework" contains "work": only the longer label counts.
        var classifier = new GenerativeClassifier(new ScriptedChatClient(_ => "I think this is about homework, clearly."), Labels);
        Assert.Equal(new ClassPrediction("homework", 0.5f), await classifier.ClassifyOneAsync("Due tomorrow"));
    }

    [Fact]
    public async Task UnclearAnswerIsRetriedThenLeftUnmatched()
    {
        int calls = 0;
        var client = new ScriptedChatClient(_ => ++calls == 1 ? "work or love, hard to say" : "love");
        var classifier = new GenerativeClassifier(client, Labels);
        Assert.Equal("love", (await classifier.ClassifyOneAsync("x")).Label);
        Assert.Equal(4, client.Requests[1].Count); // system, user, the unclear answer, the reminder
        Assert.Equal(ChatRole.Assistant, client.Requests[1][2].Role);

        var stubborn = new GenerativeClassifier(new ScriptedChatClient(_ => "no idea"), Labels, new GenerativeClassifierOptions { MaxAttempts = 3 });
        var predictions = await stubborn.ClassifyAsync(["x", "y"]);
        Assert.All(predictions, p => Assert.Equal(new ClassPrediction(GenerativeClassifier.Unmatched, 0), p));
    }

    [Fact]
    public void RefusesDuplicateOrTooFewLabels()
    {
        var client = new ScriptedChatClient(_ => "");
        Assert.Throws<ArgumentException>(() => new GenerativeClassifier(client, ["a"]));
        Assert.Throws<ArgumentException>(() => new GenerativeClassifier(client, ["a", "A"]));
    }
}
