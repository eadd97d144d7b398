using Admin.TestSupport;

namespace Admin.E2E.Infrastructure;

/// <summary>Where screenshots go: under the repository's .data folder (gitignored).</summary>
public static class Artifacts
{
    public static string RepoRoot => AppProcess.RepoRoot;

    /// <summary>Saved when a test fails, named after the test.</summary>
    public static string FailureScreenshot(string testName) =>
        Path.Combine(RepoRoot, ".data", "test-results", "screenshots", Safe(testName) + ".png");

    /// <summary>Saved for a human to look at; not asserted.</summary>
    public static string ReviewScreenshot(string name) =>
        Path.Combine(RepoRoot, ".data", "screenshots", Safe(name) + ".png");

    private static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
