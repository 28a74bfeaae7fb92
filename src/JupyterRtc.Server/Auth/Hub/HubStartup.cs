using JupyterRtc.Server.Hosting;
using Microsoft.AspNetCore.HttpOverrides;

namespace JupyterRtc.Server.Auth.Hub;

/// <summary>Wiring of JupyterHub single-user mode into the host (section 7): services, proxy headers, startup check.</summary>
public static class HubStartup
{
    public static IServiceCollection AddJupyterHub(this IServiceCollection services, HubOptions hub)
    {
        services.AddSingleton(hub);
        // Request logs would be noise (every token check is a request); our own messages say what failed.
        services.AddHttpClient(HubAuthenticator.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(20)).RemoveAllLoggers();
        services.AddSingleton<HubAuthenticator>();
        services.AddHostedService<HubActivityReporter>();
        return services;
    }

    /// <summary>
    /// <c>trust_xheaders</c>: the hub's proxy forwards requests, and its <c>X-Forwarded-Proto/Host/For</c> decide the
    /// scheme (hence <c>Secure</c> cookies), host and client address. The server listens where only the proxy reaches it.
    /// </summary>
    public static IApplicationBuilder UseJupyterHubForwardedHeaders(this IApplicationBuilder app)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
        };
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        return app.UseForwardedHeaders(options);
    }

    /// <summary>
    /// Section 7.2: before serving, the hub must answer <c>GET {JUPYTERHUB_API_URL}</c> (5 tries, waiting 1, 2, 4, 8 s
    /// between them); its <c>X-JupyterHub-Version</c> is then sent on every response. An unreachable hub is an
    /// <see cref="IOException"/>, which makes the program exit with status 1. Nothing to do outside JupyterHub.
    /// </summary>
    public static async Task CheckHubAsync(IServiceProvider services, CancellationToken cancel = default)
    {
        if (services.GetService<HubOptions>() is not { } hub) return;
        var server = services.GetRequiredService<ServerAppOptions>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("HubAuth");
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(HubAuthenticator.HttpClientName);
        if (hub.ApiToken.Length == 0) log.LogWarning("JUPYTERHUB_API_TOKEN is not set: logging in through the hub will fail");
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await client.GetAsync(hub.ApiUrl, cancel);
                if ((int)response.StatusCode < 500)
                {
                    var version = response.Headers.TryGetValues("X-JupyterHub-Version", out var v) ? v.FirstOrDefault() : null;
                    if (version != null) server.ExtraHeaders["X-JupyterHub-Version"] = version;
                    else log.LogWarning("The hub at {Url} did not say its version (no X-JupyterHub-Version header)", hub.ApiUrl);
                    log.LogInformation("Serving for JupyterHub {Version} as user {User}, under {Prefix}", version ?? "(unknown)", hub.User, hub.ServicePrefix);
                    return;
                }
                log.LogWarning("The Hub API at {Url} answered {Status} (try {Attempt} of {Tries})", hub.ApiUrl, (int)response.StatusCode, attempt, hub.StartupTries);
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancel.IsCancellationRequested))
            {
                log.LogWarning("Cannot reach the Hub API at {Url}: {Error} (try {Attempt} of {Tries})", hub.ApiUrl, e.Message, attempt, hub.StartupTries);
            }
            if (attempt >= hub.StartupTries) break;
            await Task.Delay(delay, cancel);
            delay = delay * 2 > hub.StartupMaxDelay ? hub.StartupMaxDelay : delay * 2;
        }
        throw new IOException($"Cannot connect to the Hub API at {hub.ApiUrl} (JUPYTERHUB_API_URL)");
    }
}
