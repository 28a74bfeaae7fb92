namespace JupyterRtc.Server.Api.Contents;

/// <summary>Routes under <c>/api/contents</c>. Placeholder: the owner of this resource fills it in.</summary>
public static class ContentsEndpoints
{
    public static IServiceCollection AddContents(this IServiceCollection services, IConfiguration configuration) => services;

    public static RouteGroupBuilder MapContentsApi(this RouteGroupBuilder api) => api;
}
