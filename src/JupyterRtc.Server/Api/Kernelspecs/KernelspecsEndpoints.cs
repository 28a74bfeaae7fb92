namespace JupyterRtc.Server.Api.Kernelspecs;

/// <summary>Routes under <c>/api/kernelspecs</c> and <c>/kernelspecs/&lt;name&gt;/&lt;resource&gt;</c>. Placeholder.</summary>
public static class KernelspecsEndpoints
{
    public static RouteGroupBuilder MapKernelspecsApi(this RouteGroupBuilder api) => api;

    public static IEndpointRouteBuilder MapKernelspecResources(this IEndpointRouteBuilder app) => app;
}
