namespace Admin.Web.Tests;

/// <summary>Summaries of timings that tests print and assert on.</summary>
public static class Figures
{
    public static double Median(IReadOnlyCollection<double> values) => values.Order().ElementAt(values.Count / 2);

    public static double P90(IReadOnlyCollection<double> values) => values.Order().ElementAt(values.Count * 9 / 10);
}
