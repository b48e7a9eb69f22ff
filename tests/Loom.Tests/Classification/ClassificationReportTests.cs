using Loom.Classification;

namespace Loom.Tests.Classification;

public class ClassificationReportTests
{
    [Fact]
    public void MatchesScikitLearnDocumentedExample()
    {
        // scikit-learn's precision_recall_fscore_support docs: y_true = [0,1,2,0,1,2], y_pred = [0,2,1,0,0,1]
        // gives macro precision 0.22, recall 0.33, F1 0.267 and micro 0.33.
        string[] truth = ["a", "b", "c", "a", "b", "c"];
        string[] predicted = ["a", "c", "b", "a", "a", "b"];
        var report = ClassificationReport.Compute(truth, predicted);
        Assert.Equal(2.0 / 9, report.MacroPrecision, 1e-12);
        Assert.Equal(1.0 / 3, report.MacroRecall, 1e-12);
        Assert.Equal(4.0 / 15, report.MacroF1, 1e-12);
        Assert.Equal(1.0 / 3, report.MicroF1, 1e-12);
        Assert.Equal(1.0 / 3, report.Accuracy, 1e-12);
        Assert.Equal(new[,] { { 2, 0, 0 }, { 1, 0, 1 }, { 0, 2, 0 } }, report.Confusion);
        Assert.Equal(["a", "b", "c"], report.PerClass.Select(m => m.Label));
        Assert.Equal(2.0 / 3, report.PerClass[0].Precision, 1e-12);
        Assert.Equal(2, report.PerClass[0].Support);
    }

    [Fact]
    public void PredictionsOutsideTheLabelSetCountAsWrong()
    {
        var report = ClassificationReport.Compute(["a", "b", "b", "a"], ["a", "", "b", "a"], ["a", "b"]);
        Assert.Equal(0.75, report.Accuracy, 1e-12);
        Assert.Equal(1, report.OutsideLabelSet);
        Assert.Equal(1.0, report.PerClass[1].Precision, 1e-12); // the unmatched answer is not charged to "b"'s precision
        Assert.Equal(0.5, report.PerClass[1].Recall, 1e-12);
        Assert.Equal(1.0, report.MicroPrecision, 1e-12);
        Assert.Equal(0.75, report.MicroRecall, 1e-12);
    }

    [Fact]
    public void RefusesUnknownTrueLabelsAndLengthMismatch()
    {
        Assert.Throws<ArgumentException>(() => ClassificationReport.Compute(["a", "z"], ["a", "a"], ["a", "b"]));
        Assert.Throws<ArgumentException>(() => ClassificationReport.Compute(["a"], ["a", "a"]));
    }
}
