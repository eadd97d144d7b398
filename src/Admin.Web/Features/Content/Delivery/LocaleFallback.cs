namespace Admin.Web.Features.Content.Delivery;

/// <summary>
/// The codes a request for a locale tries, in order: the code itself, then its configured fallback
/// (<see cref="DeliveryOptions.Fallbacks"/>) or, without one, its language alone; and so on until a code has nowhere
/// further to go. A cycle in the configuration ends the chain where it would repeat.
/// </summary>
public sealed class LocaleFallback
{
    private readonly Dictionary<string, string> _next;

    /// <summary>Entries are normalised (en-gb → en-GB); a malformed code is refused at start-up.</summary>
    public LocaleFallback(IReadOnlyDictionary<string, string> fallbacks)
    {
        _next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in fallbacks)
        {
            var source = DeliveryEndpoint.Normalise(from) ?? throw new ArgumentException($"'{from}' in {DeliveryOptions.Section}:Fallbacks is not a locale code (such as en or en-GB).");
            var target = DeliveryEndpoint.Normalise(to) ?? throw new ArgumentException($"'{to}', the fallback of '{from}' in {DeliveryOptions.Section}:Fallbacks, is not a locale code.");
            _next[source] = target;
        }
    }

    /// <summary>The candidates for <paramref name="code"/> (normalised), the code itself first.</summary>
    public IEnumerable<string> Candidates(string code)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (string? current = code; current is not null && seen.Add(current); current = Next(current))
            yield return current;
    }

    private string? Next(string code) =>
        _next.TryGetValue(code, out var target) ? target : code.IndexOf('-') is > 0 and var dash ? code[..dash] : null;
}
