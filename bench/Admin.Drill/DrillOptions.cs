namespace Admin.Drill;

/// <summary>What the drill runs: how many app instances, for how long, and how long the database is frozen.</summary>
public sealed record DrillOptions
{
    public int Instances { get; init; } = 2;

    /// <summary>The load's length; the four faults are spread over it after a warm-up.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long every process of the cluster stays stopped (SIGSTOP … SIGCONT).</summary>
    public TimeSpan Pause { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a fault ends, errors are still expected for this long (pools reconnect, nginx retries an instance).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>At least this long between the end of one fault and the start of the next, and after the last one's grace.</summary>
    public TimeSpan Gap { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Open the DBA's activity panel in chromium and follow it through the instance kill.</summary>
    public bool Browser { get; init; } = true;

    /// <summary>CI systems posting statuses at once (each paces itself).</summary>
    public int CiClients { get; init; } = 3;

    public int Editors { get; init; } = 2;

    public Action<string> Log { get; init; } = Console.WriteLine;

    /// <summary>The drill the test suite runs: 2 instances, about a minute of load, a shorter freeze.</summary>
    public static DrillOptions Short(Action<string>? log = null) => new()
    {
        Duration = TimeSpan.FromSeconds(45),
        Pause = TimeSpan.FromSeconds(4),
        Grace = TimeSpan.FromSeconds(10),
        Gap = TimeSpan.FromSeconds(5),
        Log = log ?? Console.WriteLine,
    };

    /// <summary>Parses --instances N, --duration SECONDS|Nm, --pause SECONDS, --short, --no-browser.</summary>
    public static DrillOptions Parse(IReadOnlyList<string> args)
    {
        var options = args.Contains("--short") ? Short() : new DrillOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--short": break;
                case "--no-browser": options = options with { Browser = false }; break;
                case "--instances":
                    options = options with
                    {
                        Instances = int.TryParse(Next(), out var n) && n is >= 2 and <= 6 ? n : throw new ArgumentException("--instances: 2 to 6"),
                    };
                    break;
                case "--duration": options = options with { Duration = ParseSeconds(Next(), "--duration", 30, 3600) }; break;
                case "--pause": options = options with { Pause = ParseSeconds(Next(), "--pause", 1, 60) }; break;
                default: throw new ArgumentException($"unknown option {args[i]} (--instances N, --duration 180|3m, --pause 10, --short, --no-browser)");
            }
        }
        return options;
    }

    private static TimeSpan ParseSeconds(string text, string name, int min, int max)
    {
        var minutes = text.EndsWith('m');
        var ok = int.TryParse(minutes ? text[..^1] : text.TrimEnd('s'), out var value);
        var seconds = minutes ? value * 60 : value;
        return ok && seconds >= min && seconds <= max ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException($"{name}: {min} to {max} seconds (or e.g. 3m)");
    }
}
