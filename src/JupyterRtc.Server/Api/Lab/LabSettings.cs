using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Lab;

/// <summary>
/// The settings of <c>/lab/api/settings</c> (reference section 6.4): schemas from <c>{app_dir}/schemas</c> and from each
/// prebuilt extension's <c>schemas</c> folder, defaults overridden by <c>{app_dir}/settings/overrides.json</c>
/// (and <c>overrides.d/*.json</c>), and the user's values kept as the raw JSON5-ish text the frontend sent under
/// <c>{user_settings_dir}/&lt;package&gt;/&lt;plugin&gt;.jupyterlab-settings</c>.
/// </summary>
public sealed class LabSettings(LabOptions options, LabExtensions extensions)
{
    public sealed record Schema(string Id, string File, string Version);

    private static readonly JsonLoadSettings Lenient = new() { CommentHandling = CommentHandling.Ignore, DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Replace };

    /// <summary>Every plugin with a schema, by id; prebuilt extensions before the app's own (jupyterlab_server's order).</summary>
    public Dictionary<string, Schema> Schemas()
    {
        var result = new Dictionary<string, Schema>(StringComparer.Ordinal);
        foreach (var ext in extensions.Find())
        {
            var dir = Path.Combine(ext.Dir, "schemas", ext.Name.Replace('/', Path.DirectorySeparatorChar));
            Collect(Path.Combine(ext.Dir, "schemas"), dir, ext.Name, result);
        }
        if (options.SchemasDir is { } schemas && Directory.Exists(schemas))
        {
            foreach (var (package, dir) in Packages(schemas)) Collect(schemas, dir, package, result);
        }
        return result;
    }

    private static IEnumerable<(string Package, string Dir)> Packages(string root)
    {
        foreach (var d in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(d);
            if (name.StartsWith('@'))
                foreach (var s in Directory.EnumerateDirectories(d)) yield return (name + "/" + Path.GetFileName(s), s);
            else yield return (name, d);
        }
    }

    private static void Collect(string root, string dir, string package, Dictionary<string, Schema> into)
    {
        if (!Directory.Exists(dir)) return;
        var version = "N/A";
        var orig = Path.Combine(dir, "package.json.orig");
        if (File.Exists(orig))
        {
            try { version = JObject.Parse(File.ReadAllText(orig)).Value<string>("version") ?? "N/A"; }
            catch (JsonException) { }
        }
        foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
        {
            var id = package + ":" + Path.GetFileNameWithoutExtension(file);
            into.TryAdd(id, new Schema(id, file, version));
        }
    }

    /// <summary>Default overrides by plugin id: <c>overrides.d/*.json</c> (in name order) then <c>overrides.json</c>, later ones winning.</summary>
    private JObject Overrides()
    {
        var merged = new JObject();
        if (options.SettingsDir is not { } settings) return merged;
        var files = new List<string>();
        var d = Path.Combine(settings, "overrides.d");
        if (Directory.Exists(d)) files.AddRange(Directory.EnumerateFiles(d).Where(f => f.EndsWith(".json") || f.EndsWith(".json5")).Order(StringComparer.Ordinal));
        foreach (var name in new[] { "overrides.json", "overrides.json5" })
            if (File.Exists(Path.Combine(settings, name))) files.Add(Path.Combine(settings, name));
        foreach (var f in files)
        {
            try
            {
                if (JToken.Parse(File.ReadAllText(f), Lenient) is JObject o)
                    merged.Merge(o, new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Replace });
            }
            catch (JsonException) { }
        }
        return merged;
    }

    /// <summary>The schema with the overrides applied to its <c>default</c>s.</summary>
    private static JObject LoadSchema(Schema s, JObject overrides)
    {
        var schema = JObject.Parse(File.ReadAllText(s.File));
        if (overrides[s.Id] is JObject defaults)
        {
            if (schema["properties"] is not JObject props) schema["properties"] = props = new JObject();
            foreach (var p in defaults.Properties())
            {
                if (props[p.Name] is JObject prop)
                {
                    if (prop["default"] is JObject existing && p.Value is JObject over)
                        existing.Merge(over, new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Replace });
                    else prop["default"] = p.Value.DeepClone();
                }
                else props[p.Name] = new JObject { ["default"] = p.Value.DeepClone() };
            }
        }
        return schema;
    }

    public string UserFile(string id)
    {
        var colon = id.LastIndexOf(':');
        var package = id[..colon];
        var plugin = id[(colon + 1)..];
        return Path.Combine(options.UserSettingsDir, Path.Combine(package.Split('/')), plugin + ".jupyterlab-settings");
    }

    /// <summary>The plugin object of the API, null for an unknown id.</summary>
    public JObject? Get(string id, bool forList, Dictionary<string, Schema>? schemas = null, JObject? overrides = null)
    {
        schemas ??= Schemas();
        if (!schemas.TryGetValue(id, out var s)) return null;
        overrides ??= Overrides();
        var plugin = new JObject { ["id"] = id };
        JObject schema;
        try { schema = LoadSchema(s, overrides); }
        catch (JsonException e) { return new JObject { ["id"] = id, ["schema"] = new JObject(), ["version"] = s.Version, ["raw"] = "{}", ["settings"] = new JObject(), ["warning"] = $"Failed loading schema: {e.Message}" }; }
        plugin["schema"] = schema;
        plugin["version"] = s.Version;
        var file = UserFile(id);
        string? warning = null;
        var raw = "{}";
        var settings = new JObject();
        JToken lastModified = JValue.CreateNull(), created = JValue.CreateNull();
        if (File.Exists(file))
        {
            var text = File.ReadAllText(file);
            try
            {
                var parsed = string.IsNullOrWhiteSpace(text) ? new JObject() : JToken.Parse(text, Lenient);
                if (parsed is JObject o) { raw = text; settings = o; }
                else warning = $"Failed loading user settings for {id}: not an object";
            }
            catch (JsonException e) { warning = $"Failed loading user settings for {id}: {e.Message}"; }
            var info = new FileInfo(file);
            lastModified = Iso(info.LastWriteTimeUtc);
            created = Iso(info.CreationTimeUtc < info.LastWriteTimeUtc ? info.CreationTimeUtc : info.LastWriteTimeUtc);
        }
        plugin["raw"] = raw;
        plugin["settings"] = settings;
        plugin["last_modified"] = lastModified;
        plugin["created"] = created;
        if (forList) plugin["warning"] = warning;
        return plugin;
    }

    public JObject List(bool idsOnly)
    {
        var schemas = Schemas();
        var overrides = Overrides();
        var list = new JArray();
        foreach (var id in schemas.Keys.OrderByDescending(k => k, StringComparer.Ordinal))
            list.Add(idsOnly ? new JObject { ["id"] = id } : Get(id, true, schemas, overrides)!);
        return new JObject { ["settings"] = list };
    }

    /// <summary>Saves the raw text as sent after checking it parses to an object that fits the schema's property types.</summary>
    public void Save(string id, string raw)
    {
        var schemas = Schemas();
        if (!schemas.TryGetValue(id, out var s)) throw new KeyNotFoundException(id);
        JToken parsed;
        try { parsed = string.IsNullOrWhiteSpace(raw) ? new JObject() : JToken.Parse(raw, Lenient); }
        catch (JsonException e) { throw new FormatException($"Failed validating input: {e.Message}"); }
        if (parsed is not JObject values) throw new FormatException("Failed validating input: the settings must be an object");
        var schema = LoadSchema(s, Overrides());
        if (SchemaCheck.Validate(values, schema, schema) is { } problem) throw new FormatException($"Failed validating input: {problem}");
        var file = UserFile(id);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var tmp = file + ".tmp";
        File.WriteAllText(tmp, raw);
        File.Move(tmp, file, overwrite: true);
    }

    internal static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'");
}

/// <summary>
/// A small JSON-Schema check (types, enums, required, nested properties, array items, local <c>$ref</c>s): enough to
/// refuse settings the frontend's own validator would refuse, not a full draft-07 validator.
/// </summary>
internal static class SchemaCheck
{
    public static string? Validate(JToken value, JToken? schema, JObject root, string where = "")
    {
        if (schema is not JObject s) return null;
        if (s["$ref"]?.Value<string>() is { } r && r.StartsWith("#/"))
        {
            JToken? target = root;
            foreach (var part in r[2..].Split('/')) target = target?[part.Replace("~1", "/").Replace("~0", "~")];
            return Validate(value, target, root, where);
        }
        if (s["type"] is { } type)
        {
            var types = type is JArray a ? a.Select(t => t.Value<string>()!).ToList() : [type.Value<string>()!];
            if (!types.Any(t => Fits(value, t)))
                return $"{(where.Length == 0 ? "the settings" : "'" + where + "'")}: {Show(value)} is not of type {string.Join(" or ", types.Select(t => "'" + t + "'"))}";
        }
        if (s["enum"] is JArray en && !en.Any(e => JToken.DeepEquals(e, value)))
            return $"'{where}': {Show(value)} is not one of {en.ToString(Formatting.None)}";
        if (value is JObject obj)
        {
            if (s["required"] is JArray req)
                foreach (var k in req.Values<string>())
                    if (k != null && obj[k] == null) return $"'{k}' is a required property";
            if (s["properties"] is JObject props)
                foreach (var p in obj.Properties())
                    if (props[p.Name] is { } ps && Validate(p.Value, ps, root, Join(where, p.Name)) is { } problem) return problem;
        }
        if (value is JArray arr && s["items"] is JObject items)
            for (var i = 0; i < arr.Count; i++)
                if (Validate(arr[i], items, root, Join(where, i.ToString())) is { } problem) return problem;
        return null;
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : a + "." + b;
    private static string Show(JToken v) => v.ToString(Formatting.None);

    private static bool Fits(JToken v, string type) => type switch
    {
        "object" => v.Type == JTokenType.Object,
        "array" => v.Type == JTokenType.Array,
        "string" => v.Type == JTokenType.String,
        "integer" => v.Type == JTokenType.Integer || (v.Type == JTokenType.Float && Math.Floor(v.Value<double>()) == v.Value<double>()),
        "number" => v.Type is JTokenType.Integer or JTokenType.Float,
        "boolean" => v.Type == JTokenType.Boolean,
        "null" => v.Type == JTokenType.Null,
        _ => true,
    };
}
