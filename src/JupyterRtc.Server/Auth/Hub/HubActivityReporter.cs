using System.Net.Http.Headers;
using System.Text.Json;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Auth.Hub;

/// <summary>
/// Tells the hub when this server was last used (section 7.5), so that idle culling sees it: at startup and then every
/// <c>JUPYTERHUB_ACTIVITY_INTERVAL</c> seconds (±10 %), <c>POST JUPYTERHUB_ACTIVITY_URL</c> with the same
/// <c>last_activity</c> as <c>/api/status</c>, unless it has not changed since the last post the hub accepted. A
/// failed post is retried with backoff (1 s doubling to 15 s) for at most a minute, then left to the next round.
/// </summary>
public sealed class HubActivityReporter(HubOptions hub, ServerActivity activity, IHttpClientFactory http,
    ILogger<HubActivityReporter> log) : BackgroundService
{
    private static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (hub.ActivityUrl == null)
        {
            log.LogWarning("JUPYTERHUB_ACTIVITY_URL is not set: activity is not reported to the hub");
            return;
        }
        DateTime? reported = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var last = activity.LastActivity;
                if (last != reported && await PostWithRetries(last, stopping)) reported = last;
                var jitter = 0.9 + Random.Shared.NextDouble() * 0.2;
                await Task.Delay(hub.ActivityInterval * jitter, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> PostWithRetries(DateTime last, CancellationToken stopping)
    {
        var delay = FirstBackoff;
        var spent = TimeSpan.Zero;
        while (true)
        {
            if (await PostAsync(last, stopping)) return true;
            if (spent + delay > RetryBudget) break;
            await Task.Delay(delay, stopping);
            spent += delay;
            delay = delay * 2 > MaxBackoff ? MaxBackoff : delay * 2;
        }
        log.LogError("Failed to report activity to the hub; trying again in {Interval} s", hub.ActivityInterval.TotalSeconds);
        return false;
    }

    /// <summary>The body the hub's <c>ActivityAPIHandler</c> reads: per-server and overall <c>last_activity</c>.</summary>
    internal static byte[] Body(string serverName, DateTime last)
    {
        var stamp = JupyterRtc.Contents.Timestamps.Format(last);   // exactly as /api/status writes it
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("servers");
            w.WriteStartObject(serverName);
            w.WriteString("last_activity", stamp);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("last_activity", stamp);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private async Task<bool> PostAsync(DateTime last, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, hub.ActivityUrl)
        {
            Content = new ByteArrayContent(Body(hub.ServerName, last)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("token", hub.ApiToken);
        try
        {
            using var response = await http.CreateClient(HubAuthenticator.HttpClientName).SendAsync(request, stopping);
            if (response.IsSuccessStatusCode)
            {
                log.LogDebug("Notified the hub of activity at {LastActivity:O}", last);
                return true;
            }
            log.LogWarning("The hub refused the activity report: {Status} {Reason}", (int)response.StatusCode, response.ReasonPhrase);
            return false;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !stopping.IsCancellationRequested))
        {
            log.LogWarning("Could not reach the hub to report activity: {Error}", e.Message);
            return false;
        }
    }
}
