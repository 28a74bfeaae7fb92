namespace JupyterRtc.Server.Api.Files;

/// <summary><c>GET/HEAD /files/&lt;path&gt;</c>: raw file download. Placeholder.</summary>
public static class FilesEndpoints
{
    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app) => app;
}
