using System.Text.RegularExpressions;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Config;

/// <summary>
/// <c>/api/config/&lt;section&gt;</c> (section 6.8): frontend configuration sections, read merged from every
/// <c>serverconfig/&lt;section&gt;.json</c> in the Jupyter config path and written to the user's config directory.
/// PATCH merges recursively and deletes keys set to null; PUT replaces.
/// </summary>
public static partial class ConfigEndpoints
{
    [GeneratedRegex(@"^\w+$")]
    private static partial Regex SectionName();

    private static readonly Lock WriteLock = new();

    public static RouteGroupBuilder MapConfigApi(this RouteGroupBuilder api)
    {
        api.MapGet("/config/{section}", (HttpContext context, string section, ServerAppOptions options) =>
            JsonResponse.WriteAsync(context, 200, Read(Check(section), options)));
        api.MapPatch("/config/{section}", async (HttpContext context, string section, ServerAppOptions options) =>
        {
            Check(section);
            if (await JsonResponse.ReadBodyAsync(context.Request) is not JObject patch)
                throw new BadRequestException("The body must be a JSON object");
            JObject merged;
            lock (WriteLock)
            {
                var user = ReadFile(UserFile(section, options)) ?? new JObject();
                Merge(user, patch);
                Write(UserFile(section, options), user);
                merged = Read(section, options);
            }
            await JsonResponse.WriteAsync(context, 200, merged);
        });
        api.MapPut("/config/{section}", async (HttpContext context, string section, ServerAppOptions options) =>
        {
            Check(section);
            if (await JsonResponse.ReadBodyAsync(context.Request) is not JObject body)
                throw new BadRequestException("The body must be a JSON object");
            lock (WriteLock) Write(UserFile(section, options), body);
            return Results.NoContent();
        });
        return api;
    }

    private static string Check(string section) =>
        SectionName().IsMatch(section) ? section : throw new BadRequestException($"Invalid config section name: {section}");

    private static string UserFile(string section, ServerAppOptions o) => Path.Combine(o.ConfigDir, "serverconfig", section + ".json");

    private static JObject Read(string section, ServerAppOptions options)
    {
        var result = new JObject();
        foreach (var dir in JupyterPaths.ConfigPath.Skip(1).Reverse().Append(options.ConfigDir).Distinct())
            if (ReadFile(Path.Combine(dir, "serverconfig", section + ".json")) is { } data) Merge(result, data);
        return result;
    }

    private static JObject? ReadFile(string path)
    {
        try { return File.Exists(path) ? JObject.Parse(File.ReadAllText(path)) : null; }
        catch (Newtonsoft.Json.JsonException) { return null; }
    }

    private static void Write(string path, JObject data)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, data.ToString(Newtonsoft.Json.Formatting.Indented));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Recursive update where a null value removes the key (Jupyter's <c>recursive_update</c>).</summary>
    internal static void Merge(JObject target, JObject patch)
    {
        foreach (var p in patch.Properties())
        {
            if (p.Value.Type == JTokenType.Null) target.Remove(p.Name);
            else if (p.Value is JObject po && target[p.Name] is JObject to) Merge(to, po);
            else target[p.Name] = p.Value.DeepClone();
        }
    }
}
