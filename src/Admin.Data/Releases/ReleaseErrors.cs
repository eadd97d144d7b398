using Npgsql;

namespace Admin.Data.Releases;

/// <summary>
/// Turns the schema's constraint and trigger errors into messages for people, naming the field. The rules live in
/// the database (so plain SQL obeys them too); this is only their wording.
/// </summary>
public static class ReleaseErrors
{
    private static readonly Dictionary<string, (string? Field, string Message)> Constraints = new()
    {
        ["releases_name_required"] = ("name", "A release needs a name (1–200 characters)."),
        ["releases_description_length"] = ("description", "The description is limited to 4,000 characters."),
        ["releases_rollback_reason"] = ("reason", "A rollback needs a reason."),
        ["entity_versions_slug_unique"] = ("slug", "Another page or article in this release already uses this slug for the same brand, jurisdiction and locale."),
        ["entity_versions_translation_unique"] = ("key", "This release already has a translation with this key for that locale."),
        ["entity_versions_flag_unique"] = ("key", "This release already has a feature flag with this key."),
        ["entity_versions_key_required"] = ("key", "A key is required for translations, feature flags and settings."),
        ["entity_versions_locale_required"] = ("locale", "A locale is required for translations."),
        ["entity_versions_slug_required"] = ("slug", "A slug is required for pages and articles."),
        ["entity_versions_slug_format"] = ("slug", "A slug is lower-case letters, digits, dashes and slashes, starting with a letter or digit (e.g. summer/sale-2026)."),
        ["entity_versions_key_format"] = ("key", "A key is letters, digits, dots, dashes and underscores, starting with a letter or digit (e.g. checkout.title)."),
        ["entity_versions_type_valid"] = ("type", "Unknown entity type; use page, article, translation, feature_flag or setting."),
        ["entity_versions_payload_object"] = ("payload", "The payload must be a JSON object."),
        ["entity_versions_payload_size"] = ("payload", "The payload is limited to 256 kB."),
        ["entity_versions_identity_fixed"] = ("key", "An entity keeps its type, key and locale; to change them, delete this one and add a new entity."),
        ["entity_versions_not_own_parent"] = ("parent", "An entity cannot be its own parent."),
        ["entity_versions_brand_fkey"] = ("brand", "Unknown brand."),
        ["entity_versions_jurisdiction_fkey"] = ("jurisdiction", "Unknown jurisdiction."),
        ["entity_versions_locale_id_fkey"] = ("locale", "Unknown locale."),
        ["entity_versions_release_id_fkey"] = (null, "That release does not exist."),
        ["release_sections_one_per_release"] = (null, "Someone added this section to this release at the same moment; reload and try again."),
        ["release_sections_section_id_fkey"] = ("section", "That homepage section does not exist."),
        ["idx_entity_versions_entity_release"] = (null, "Someone changed this entity in this release at the same moment; reload and try again."),
    };

    /// <summary>The friendly form of a database error, or null when it is not one of ours.</summary>
    public static ReleaseException? Translate(Exception exception)
    {
        var pg = exception as PostgresException ?? exception.InnerException as PostgresException;
        if (pg is null) return null;
        if (pg.ConstraintName is { } name && Constraints.TryGetValue(name, out var known))
            return new ReleaseException(known.Message, known.Field);
        // The triggers' own refusals (transitions, roles, four eyes, draft-only edits) are already written for people.
        if (pg.ConstraintName?.StartsWith("releases_", StringComparison.Ordinal) == true
            || pg.ConstraintName?.StartsWith("entity_versions_", StringComparison.Ordinal) == true
            || pg.ConstraintName?.StartsWith("release_sections_", StringComparison.Ordinal) == true)
            return new ReleaseException(pg.MessageText, pg.ConstraintName == "releases_blocking_conflicts" ? "override" : null);
        return null;
    }
}
