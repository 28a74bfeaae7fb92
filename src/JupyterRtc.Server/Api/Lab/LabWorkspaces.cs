using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Lab;

/// <summary>
/// Saved lab layouts (reference section 6.5): one <c>&lt;slug&gt;-&lt;hash&gt;.jupyterlab-workspace</c> file per name
/// in the workspaces dir, holding <c>{"data": ..., "metadata": {"id": "/&lt;name&gt;", ...}}</c>.
/// </summary>
public sealed partial class LabWorkspaces(LabOptions options)
{
    private static readonly object Gate = new();

    [GeneratedRegex(@"[^\w\-]+")]
    private static partial Regex NonSlug();

    public string FileFor(string name)
    {
        var slug = NonSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..4];
        return Path.Combine(options.WorkspacesDir, (slug.Length == 0 ? "workspace" : slug) + "-" + hash + ".jupyterlab-workspace");
    }

    public JObject? Load(string name)
    {
        var file = FileFor(name);
        if (!File.Exists(file)) return null;
        return Read(file);
    }

    private static JObject? Read(string file)
    {
        JObject ws;
        try { ws = JObject.Parse(File.ReadAllText(file)); }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
        if (ws["metadata"] is not JObject meta) ws["metadata"] = meta = new JObject();
        var info = new FileInfo(file);
        meta["last_modified"] = LabSettings.Iso(info.LastWriteTimeUtc);
        meta["created"] = LabSettings.Iso(info.CreationTimeUtc < info.LastWriteTimeUtc ? info.CreationTimeUtc : info.LastWriteTimeUtc);
        return ws;
    }

    public JObject List()
    {
        var ids = new JArray();
        var values = new JArray();
        if (Directory.Exists(options.WorkspacesDir))
        {
            foreach (var f in Directory.EnumerateFiles(options.WorkspacesDir, "*.jupyterlab-workspace").Order(StringComparer.Ordinal))
            {
                if (Read(f) is not { } ws) continue;
                var id = ws["metadata"]?.Value<string>("id") ?? "";
                ids.Add(id.TrimStart('/'));
                values.Add(ws);
            }
        }
        return new JObject { ["workspaces"] = new JObject { ["ids"] = ids, ["values"] = values } };
    }

    /// <summary>Saves; throws <see cref="FormatException"/> when the body's metadata id is not this name.</summary>
    public void Save(string name, JObject workspace)
    {
        var id = workspace["metadata"]?["id"]?.Value<string>();
        if (id == null) throw new FormatException("Workspace metadata is missing an 'id'");
        id = Uri.UnescapeDataString(id);
        if (!id.StartsWith('/')) id = "/" + id;
        if (id != "/" + name) throw new FormatException($"Workspace metadata ID mismatch: expected '{id}' got '/{name}'");
        workspace["metadata"]!["id"] = id;
        var file = FileFor(name);
        lock (Gate)
        {
            Directory.CreateDirectory(options.WorkspacesDir);
            var tmp = file + ".tmp";
            File.WriteAllText(tmp, workspace.ToString(Formatting.None));
            File.Move(tmp, file, overwrite: true);
        }
    }

    public bool Delete(string name)
    {
        var file = FileFor(name);
        if (!File.Exists(file)) return false;
        File.Delete(file);
        return true;
    }
}
