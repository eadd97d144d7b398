using Admin.Web.Components;
using Admin.Web.Features.Account;
using Admin.Web.Features.Audit;
using Admin.Web.Features.Content;
using Admin.Web.Features.Database;
using Admin.Web.Features.Releases;
using Admin.Web.Features.Deployments;
using Admin.Web.Infrastructure;
using Admin.Web.Live;

var builder = WebApplication.CreateBuilder(args);

builder.AddOperations();
builder.Services.AddDatabase(builder.Configuration);
builder.Services.AddAccountFeature();
builder.Services.AddAuditFeature();
builder.Services.AddDatabaseFeature();
builder.Services.AddContentFeature();
builder.Services.AddReleasesFeature();
builder.Services.AddDeploymentsFeature();
builder.Services.AddLiveFeature(builder.Configuration);
builder.Services.AddShell();

var app = builder.Build();

// `migrate` and `seed` run once and exit (used by ./admin); otherwise migrate, optionally seed the demo, and serve.
if (await app.RunCommandAsync(args)) return;
await app.PrepareDatabaseAsync();

app.UseOperations();
app.UseShell();
app.MapAccountFeature();
app.MapContentFeature();
app.MapDeploymentsFeature();
app.MapAuditFeature();
app.MapLiveFeature();
app.MapShell();

app.Run();

public partial class Program;
