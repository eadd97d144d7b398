namespace Admin.Web.Tests;

/// <summary>
/// Tests that time things (sign-in answers, audited writes during a flood) run with no other test class of this
/// assembly at the same time, so their figures are not another test's load.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}
