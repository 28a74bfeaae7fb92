using System.Text;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Infrastructure;

/// <summary>Small helpers to send JSON and read JSON answers in tests.</summary>
public static class TestHttp
{
    public static StringContent Json(object body) =>
        new(body is string s ? s : Newtonsoft.Json.JsonConvert.SerializeObject(body), Encoding.UTF8, "application/json");

    /// <summary>The body as JSON, timestamps left as the strings the server sent.</summary>
    public static async Task<JToken> ReadJson(this HttpResponseMessage response)
    {
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(await response.Content.ReadAsStringAsync()))
        {
            DateParseHandling = Newtonsoft.Json.DateParseHandling.None,
        };
        return JToken.ReadFrom(reader);
    }

    public static async Task<JObject> ReadObject(this HttpResponseMessage response) => (JObject)await response.ReadJson();

    public static Task<HttpResponseMessage> Patch(this HttpClient client, string url, object body) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, url) { Content = Json(body) });

    /// <summary>The repository root, found from the test assembly's folder.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "JupyterRtc.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>The built server program of the same configuration as the tests (Release in CI).</summary>
    public static string ServerDll
    {
        get
        {
            var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            var dll = Path.Combine(RepoRoot, "src", "JupyterRtc.Server", "bin", config, "net10.0", "jupyter-rtc.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"server not built: {dll}");
        }
    }
}
