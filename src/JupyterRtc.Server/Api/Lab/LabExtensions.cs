using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Lab;

/// <summary>
/// The prebuilt (federated) extensions installed under <c>labextensions</c> folders of the data path: each
/// <c>&lt;dir&gt;/&lt;name&gt;/package.json</c> or <c>&lt;dir&gt;/@scope/&lt;name&gt;/package.json</c> whose <c>jupyterlab._build</c>
/// says what to load. The first folder that has a name wins, as in jupyterlab_server.
/// </summary>
public sealed class LabExtensions(LabOptions options, ILogger<LabExtensions> logger)
{
    public sealed record Extension(string Name, string Dir, JObject PackageJson, JObject Build);

    /// <summary>Scanned on every call: installing an extension and reloading the page is enough, as with Jupyter.</summary>
    public IReadOnlyList<Extension> Find()
    {
        var found = new Dictionary<string, Extension>(StringComparer.Ordinal);
        foreach (var root in options.LabextensionsPath)
        {
            if (!Directory.Exists(root)) continue;
            foreach (var candidate in Candidates(root))
            {
                var pj = Path.Combine(candidate, "package.json");
                if (!File.Exists(pj)) continue;
                JObject json;
                try { json = JObject.Parse(File.ReadAllText(pj)); }
                catch (Exception e) when (e is IOException or Newtonsoft.Json.JsonException)
                {
                    logger.LogWarning("Skipping labextension {Path}: {Error}", pj, e.Message);
                    continue;
                }
                var name = json.Value<string>("name");
                if (name == null || found.ContainsKey(name)) continue;
                if (json["jupyterlab"]?["_build"] is not JObject build || build.Value<string>("load") == null)
                {
                    logger.LogWarning("Skipping labextension {Name} in {Dir}: its package.json has no jupyterlab._build", name, candidate);
                    continue;
                }
                found[name] = new Extension(name, candidate, json, build);
            }
        }
        return found.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<string> Candidates(string root)
    {
        foreach (var d in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(d).StartsWith('@'))
                foreach (var s in Directory.EnumerateDirectories(d).Order(StringComparer.Ordinal)) yield return s;
            else yield return d;
        }
    }

    /// <summary>The <c>federated_extensions</c> entries of the page config.</summary>
    public JArray PageConfigEntries(IReadOnlyList<Extension> extensions)
    {
        var array = new JArray();
        foreach (var e in extensions)
        {
            var entry = new JObject { ["name"] = e.Name, ["load"] = e.Build["load"]!.DeepClone() };
            foreach (var key in new[] { "extension", "mimeExtension", "style", "entrypoints" })
                if (e.Build[key] is { } v && v.Type != JTokenType.Null) entry[key] = v.DeepClone();
            array.Add(entry);
        }
        return array;
    }

    /// <summary>The file of extension <paramref name="name"/> at <paramref name="relative"/>, or null (never outside it).</summary>
    public string? File_(string name, string relative)
    {
        var ext = Find().FirstOrDefault(e => e.Name == name);
        return ext == null ? null : LabFiles.Inside(ext.Dir, relative);
    }
}

/// <summary>Path helpers shared by the lab's file handlers.</summary>
public static class LabFiles
{
    /// <summary>The full path of <paramref name="relative"/> under <paramref name="root"/> if it is an existing file there.</summary>
    public static string? Inside(string root, string relative)
    {
        if (string.IsNullOrEmpty(relative)) return null;
        var rootFull = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.Combine(rootFull, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(rootFull.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
        return File.Exists(full) ? full : null;
    }
}
