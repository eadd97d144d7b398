using System.Security.Claims;
using Admin.Data.Session;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Admin.Web.Infrastructure;

/// <summary>
/// The user a Blazor circuit acts for. HttpContext is not available (or is stale) inside a circuit, so the circuit
/// handler copies the authentication state here when the circuit opens and whenever it changes.
/// </summary>
public sealed class CircuitUserState
{
    public ClaimsPrincipal? User { get; set; }
    public string? CircuitId { get; set; }
}

public sealed class UserCircuitHandler(AuthenticationStateProvider auth, CircuitUserState state) : CircuitHandler, IDisposable
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken ct)
    {
        state.CircuitId = circuit.Id;
        state.User = (await auth.GetAuthenticationStateAsync()).User;
        auth.AuthenticationStateChanged += OnChanged;
    }

    private async void OnChanged(Task<AuthenticationState> task)
    {
        try { state.User = (await task).User; }
        catch (Exception) { state.User = null; }
    }

    public void Dispose() => auth.AuthenticationStateChanged -= OnChanged;
}

/// <summary>Builds the database session context from the circuit's user, or else from the HTTP request's.</summary>
public sealed class CurrentUserSessionContext(CircuitUserState circuit, IHttpContextAccessor http) : ISessionContextSource
{
    public SessionContext Current
    {
        get
        {
            if (circuit.User is { } circuitUser)
                return FromPrincipal(circuitUser, circuit.CircuitId is { } id ? $"circuit:{id}"[..Math.Min(40, 8 + id.Length)] : null);
            var context = http.HttpContext;
            return context is null ? SessionContext.Anonymous : FromPrincipal(context.User, context.TraceIdentifier, Telemetry.TraceId(context));
        }
    }

    public static SessionContext FromPrincipal(ClaimsPrincipal? user, string? requestId, string? traceId = null)
    {
        traceId ??= Telemetry.TraceId();
        if (user?.Identity?.IsAuthenticated != true || !Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id))
            return SessionContext.Anonymous with { RequestId = requestId, TraceId = traceId };
        return new SessionContext(
            id,
            user.FindFirstValue(ClaimTypes.Email) ?? user.Identity.Name,
            user.FindAll(ClaimTypes.Role).Select(c => c.Value).Order().ToList(),
            user.FindAll(ScopeClaims.Brand).Select(c => c.Value).Order().ToList(),
            user.FindAll(ScopeClaims.Locale).Select(c => c.Value).Order().ToList(),
            requestId,
            traceId);
    }
}
