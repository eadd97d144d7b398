using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Reference;

/// <summary>A code and its display name: a brand (slug), a locale or a jurisdiction.</summary>
public sealed record CodeName(string Code, string Name);

/// <summary>Brands, locales and jurisdictions as the signed-in user may read them, for pickers and the scope cards.</summary>
public sealed class ReferenceQueries(IDbContextFactory<AdminDbContext> contexts)
{
    public async Task<IReadOnlyList<CodeName>> BrandsAsync(CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Brands.AsNoTracking().OrderBy(b => b.Name).Select(b => new CodeName(b.Slug, b.Name)).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<CodeName>> LocalesAsync(CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Locales.AsNoTracking().OrderBy(l => l.Code).Select(l => new CodeName(l.Code, l.Name)).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<CodeName>> JurisdictionsAsync(CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Jurisdictions.AsNoTracking().OrderBy(j => j.Code).Select(j => new CodeName(j.Code, j.Name)).ToListAsync(ct);
    }
}
