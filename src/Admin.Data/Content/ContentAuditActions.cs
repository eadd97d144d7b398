namespace Admin.Data.Content;

/// <summary>audit_events.action values written by <see cref="ContentService"/>.</summary>
public static class ContentAuditActions
{
    public const string SectionCreated = "content.section_created";
    public const string VersionSaved = "content.version_saved";
    public const string VersionRestored = "content.version_restored";
    public const string Published = "content.published";
    public const string Unpublished = "content.unpublished";
    public const string Archived = "content.archived";
    public const string Unarchived = "content.unarchived";
    public const string Reordered = "content.reordered";
    public const string Scheduled = "content.scheduled";
    public const string ScheduleCancelled = "content.schedule_cancelled";
    public const string SchedulePublished = "content.schedule_published";
    public const string ScheduleExpired = "content.schedule_expired";
}
