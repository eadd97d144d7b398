using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;

namespace Admin.Web.Components.Shared;

/// <summary>
/// Hands what a prerender loaded to the circuit that follows it, when it is too large to travel in the page: the browser
/// sends persisted component state back in the circuit's first SignalR message, which the hub refuses above 32 kB. The
/// page persists only the key (the persisted state is data-protected, so the key cannot be read or forged in the
/// browser); the circuit takes the value once. The circuit lands on the same instance behind the sticky balancer; when it
/// does not, or the value expired, the page simply loads again.
/// </summary>
public sealed class PrerenderHandoff : IDisposable
{
    /// <summary>Long enough for a slow browser to load the script and open the circuit, short enough to hold little.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>Entries kept at most: a flood of prerenders evicts the oldest handoffs rather than growing memory.</summary>
    public const int Capacity = 2_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Capacity });

    /// <summary>Keeps <paramref name="value"/> for <paramref name="owner"/> and answers the key to persist.</summary>
    public string Keep<T>(T value, string owner) where T : class
    {
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _cache.Set(key, new Entry(value, owner), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime });
        return key;
    }

    /// <summary>The value kept under <paramref name="key"/> for the same owner, once; null when it is gone or not theirs.</summary>
    public T? Take<T>(string? key, string owner) where T : class
    {
        if (key is null || !_cache.TryGetValue(key, out Entry? entry) || entry is null) return null;
        _cache.Remove(key);
        return entry.Owner == owner ? entry.Value as T : null;
    }

    public void Dispose() => _cache.Dispose();

    private sealed record Entry(object Value, string Owner);
}
