using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Admin.Data.Migrations;

// One class per file in Migrations/Sql, in order. The id must match the file name.

[DbContext(typeof(AdminDbContext)), Migration("20261122000001_Foundation")]
public sealed class Foundation : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000002_Content")]
public sealed class Content : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000003_CatalogNotify")]
public sealed class CatalogNotify : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000004_MonitoringSamples")]
public sealed class MonitoringSamples : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000005_Releases")]
public sealed class Releases : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000006_Deployments")]
public sealed class Deployments : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000007_AuditChain")]
public sealed class AuditChain : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000008_Denials")]
public sealed class Denials : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261122000010_DeploymentReleaseLink")]
public sealed class DeploymentReleaseLink : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000001_ReleaseDiffSpeed")]
public sealed class ReleaseDiffSpeed : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000010_DeploymentMetricsSpeed")]
public sealed class DeploymentMetricsSpeed : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000100_RowLevelSecurity")]
public sealed class RowLevelSecurity : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000101_AuditViewer")]
public sealed class AuditViewer : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000102_IngestionPlans")]
public sealed class IngestionPlans : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000103_StatusPostOneCall")]
public sealed class StatusPostOneCall : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000104_ReleaseDiffBases")]
public sealed class ReleaseDiffBases : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261129000105_ConflictCheckSpeed")]
public sealed class ConflictCheckSpeed : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000100_ExplainRole")]
public sealed class ExplainRole : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000101_DefinerFunctions")]
public sealed class DefinerFunctions : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000300_TokenScopes")]
public sealed class TokenScopes : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000500_DataProtectionKeys")]
public sealed class DataProtectionKeys : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000501_AuditTraceIds")]
public sealed class AuditTraceIds : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000600_DurableStatusPosts")]
public sealed class DurableStatusPosts : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000700_WorkingCopies")]
public sealed class WorkingCopies : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000800_SetBasedStatusPosts")]
public sealed class SetBasedStatusPosts : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261205000900_StatisticsWindows")]
public sealed class StatisticsWindows : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206000100_Alerts")]
public sealed class Alerts : SqlMigration;
[DbContext(typeof(AdminDbContext)), Migration("20261206000300_CapturedPlans")]
public sealed class CapturedPlans : SqlMigration;
[DbContext(typeof(AdminDbContext)), Migration("20261206000400_DeployRegressions")]
public sealed class DeployRegressions : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206001000_StatisticsLevels")]
public sealed class StatisticsLevels : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206002000_EnvironmentRules")]
public sealed class DeployEnvironmentRules : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206003000_DoraIncidentsCommits")]
public sealed class DoraIncidentsCommits : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206003100_LeadWithoutCommitsIndex")]
public sealed class LeadWithoutCommitsIndex : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206004000_LeadTimeHistogram")]
public sealed class LeadTimeHistogram : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206005000_IndexAndTableWindows")]
public sealed class IndexAndTableWindows : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206006000_ReleaseDiffIndex")]
public sealed class ReleaseDiffIndex : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206006100_ReleaseSchedules")]
public sealed class ReleaseSchedules : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206006200_SectionReviews")]
public sealed class SectionReviews : SqlMigration;

[DbContext(typeof(AdminDbContext)), Migration("20261206007000_ReleaseSections")]
public sealed class ReleaseSections : SqlMigration;
