using JupyterRtc.Server.Api.Contents;
using JupyterRtc.Server.Api.Files;
using JupyterRtc.Server.Api.Kernels;
using JupyterRtc.Server.Api.Kernelspecs;
using JupyterRtc.Server.Api.Sessions;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// Builds and runs the web application. Each resource registers its services and maps its routes through
/// one extension method pair (<c>AddX</c> / <c>MapX</c>) that lives next to its handlers under <c>Api/</c>.
/// </summary>
public static class ServerHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        // TODO(server helper): parse Jupyter-style options, auth, runtime files, console output.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddContents(builder.Configuration);
        builder.Services.AddKernels(builder.Configuration);
        var app = builder.Build();
        var api = app.MapGroup("/api");
        api.MapContentsApi();
        api.MapKernelspecsApi();
        api.MapKernelsApi();
        api.MapSessionsApi();
        app.MapFiles();
        app.MapKernelspecResources();
        await app.RunAsync();
        return 0;
    }
}
