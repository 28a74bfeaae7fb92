using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Server.Tests.Hub;

/// <summary>
/// A small stand-in for JupyterHub's API, in this process on 127.0.0.1: <c>GET /hub/api</c>, <c>GET /hub/api/user</c>
/// (tokens registered by the test), the OAuth authorize and token endpoints (with PKCE checked) and the activity
/// endpoint, recording what it was sent.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public const string Version = "3.0.0";
    public const string ServerToken = "server-api-token-xyz";
    public const string ClientId = "jupyterhub-user-alice";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _users = new();
    private readonly ConcurrentDictionary<string, (string Token, string? Challenge, string RedirectUri)> _codes = new();

    public Uri Url { get; private set; } = null!;
    public string ApiUrl => new Uri(Url, "/hub/api").ToString();
    /// <summary>Set to answer <c>GET /hub/api/user</c> with this status instead (500, 404...).</summary>
    public int? UserStatus { get; set; }
    /// <summary>The token that the authorize endpoint issues codes for (the "logged-in" hub user).</summary>
    public string? LoggedInToken { get; set; }
    public ConcurrentQueue<string> UserLookups { get; } = new();   // token of each /user call
    public ConcurrentQueue<(string? Authorization, string ContentType, string Body)> ActivityPosts { get; } = new();
    public ConcurrentQueue<Dictionary<string, string>> TokenRequests { get; } = new();
    /// <summary>How many of the next activity POSTs to answer 503.</summary>
    public int ActivityFailures;
    public int ActivityAttempts;

    private FakeHub(WebApplication app) => _app = app;

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var hub = new FakeHub(app);
        hub.Map();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hub.Url = new Uri(address);
        return hub;
    }

    /// <summary>A token the hub knows: its owner and scopes.</summary>
    public void AddToken(string token, string user, params string[] scopes) =>
        _users[token] = new JsonObject
        {
            ["kind"] = "user", ["name"] = user, ["admin"] = false, ["groups"] = new JsonArray(),
            ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()), ["session_id"] = "s1",
        };

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            context.Response.Headers["X-JupyterHub-Version"] = Version;
            await next(context);
        });
        _app.MapGet("/hub/api", () => Results.Json(new { version = Version }));
        _app.MapGet("/hub/api/user", (HttpContext context) =>
        {
            var token = TokenOf(context.Request);
            UserLookups.Enqueue(token ?? "");
            if (UserStatus is { } status) return Results.Json(new { status, message = "broken" }, statusCode: status);
            return token != null && _users.TryGetValue(token, out var user)
                ? Results.Content(user.ToJsonString(), "application/json")
                : Results.Json(new { status = 403, message = "Forbidden" }, statusCode: 403);
        });
        _app.MapGet("/hub/api/oauth2/authorize", (HttpContext context) =>
        {
            var q = context.Request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || LoggedInToken == null) return Results.StatusCode(400);
            var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            _codes[code] = (LoggedInToken, q["code_challenge_method"] == "S256" ? q["code_challenge"].ToString() : null, q["redirect_uri"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _app.MapPost("/hub/api/oauth2/token", async (HttpContext context) =>
        {
            var form = (await context.Request.ReadFormAsync()).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
            TokenRequests.Enqueue(form);
            if (form.GetValueOrDefault("client_id") == ClientId && form.GetValueOrDefault("client_secret") == ServerToken &&
                form.GetValueOrDefault("grant_type") == "authorization_code" &&
                _codes.TryRemove(form.GetValueOrDefault("code") ?? "", out var issued) &&
                form.GetValueOrDefault("redirect_uri") == issued.RedirectUri &&
                (issued.Challenge == null || Challenge(form.GetValueOrDefault("code_verifier")) == issued.Challenge))
                return Results.Json(new { access_token = issued.Token, token_type = "Bearer", expires_in = 3600 });
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        });
        _app.MapPost("/hub/api/users/{name}/activity", async (HttpContext context) =>
        {
            Interlocked.Increment(ref ActivityAttempts);
            if (Interlocked.Decrement(ref ActivityFailures) >= 0) return Results.StatusCode(503);
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            ActivityPosts.Enqueue((context.Request.Headers.Authorization.ToString(), context.Request.ContentType ?? "", await reader.ReadToEndAsync()));
            return Results.Json(new { });
        });
        _app.MapGet("/hub/logout", () => Results.Text("logged out of the hub"));
    }

    private static string Challenge(string? verifier) =>
        verifier == null ? "" : Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? TokenOf(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("token ", StringComparison.Ordinal) ? auth[6..] : null;
    }

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
