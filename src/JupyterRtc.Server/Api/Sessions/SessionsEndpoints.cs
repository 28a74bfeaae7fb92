namespace JupyterRtc.Server.Api.Sessions;

/// <summary>Routes under <c>/api/sessions</c>. Placeholder.</summary>
public static class SessionsEndpoints
{
    public static RouteGroupBuilder MapSessionsApi(this RouteGroupBuilder api) => api;
}
