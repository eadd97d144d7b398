namespace Admin.Data.Security;

/// <summary>
/// The row a unit of work is about to write, as far as the scope rules care: its brand, locale and id. PostgreSQL's
/// refusal never shows the row (by design), so a service that knows it says so here before writing, and a refusal's
/// hint can then name it ("this row belongs to acme"). <see cref="Infrastructure.TransactionRunner"/> opens a scope per
/// unit of work, so a description made anywhere inside it (a helper that loads the row, say) reaches the hint.
/// </summary>
public sealed record RlsSubject(string Table, string? RecordId = null, string? Brand = null, string? Locale = null, string? Description = null)
{
    private sealed class Holder
    {
        public RlsSubject? Value;
    }

    private static readonly AsyncLocal<Holder?> Ambient = new();

    public static RlsSubject? Current => Ambient.Value?.Value;

    /// <summary>A unit of work: descriptions made inside it last until it is disposed.</summary>
    public static IDisposable Scope()
    {
        var previous = Ambient.Value;
        Ambient.Value = new Holder();
        return new Restore(previous);
    }

    /// <summary>Describes the row the current unit of work writes next.</summary>
    public static void Describe(RlsSubject subject)
    {
        if (Ambient.Value is { } holder) holder.Value = subject;
        else Ambient.Value = new Holder { Value = subject };
    }

    private sealed class Restore(Holder? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
