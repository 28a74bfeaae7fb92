namespace JupyterRtc.Server.Api.Kernels;

/// <summary>Routes under <c>/api/kernels</c>. Placeholder: the owner of this resource fills it in.</summary>
public static class KernelsEndpoints
{
    public static IServiceCollection AddKernels(this IServiceCollection services, IConfiguration configuration) => services;

    public static RouteGroupBuilder MapKernelsApi(this RouteGroupBuilder api) => api;
}
