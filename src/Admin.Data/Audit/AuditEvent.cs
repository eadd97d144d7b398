using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Admin.Data.Audit;

/// <summary>
/// One row of the append-only audit trail (table partitioned by month). Rows are written only through the
/// SECURITY DEFINER function audit_write, so the app role can read but never insert, update or delete directly.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public Guid? ActorId { get; set; }
    public string? ActorEmail { get; set; }
    public string[] ActorRoles { get; set; } = [];
    public required string Action { get; set; }
    public string? TableName { get; set; }
    public string? RecordId { get; set; }
    public JsonDocument? OldData { get; set; }
    public JsonDocument? NewData { get; set; }
    public string? RequestId { get; set; }
    public IPAddress? ClientAddress { get; set; }
    /// <summary>The OpenTelemetry trace the action happened in (not covered by the hash chain).</summary>
    public string? TraceId { get; set; }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.HasKey(x => new { x.OccurredAt, x.Id }).HasName("audit_events_pkey");
        b.Property(x => x.OldData).HasColumnType("jsonb");
        b.Property(x => x.NewData).HasColumnType("jsonb");
    }
}
