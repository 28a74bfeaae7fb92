using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// Loads <c>jupyter_server_config.json</c> (and <c>jupyter_server_config.d/*.json</c>) from the Jupyter config path,
/// lowest priority first, flattened to IConfiguration keys (<c>{"ServerApp": {"port": 9000}}</c> → <c>ServerApp:port</c>).
/// Python config files cannot be read by a .NET process: they are reported, not silently ignored.
/// </summary>
public static class JupyterConfigFiles
{
    public static Dictionary<string, string?> Load(IEnumerable<string> configPathHighestFirst, string? extraFile, Action<string> warn)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var dir in configPathHighestFirst.Reverse())
        {
            LoadFile(Path.Combine(dir, "jupyter_server_config.json"), settings, warn);
            var d = Path.Combine(dir, "jupyter_server_config.d");
            if (Directory.Exists(d))
                foreach (var f in Directory.GetFiles(d, "*.json").Order(StringComparer.Ordinal)) LoadFile(f, settings, warn);
            var py = Path.Combine(dir, "jupyter_server_config.py");
            if (File.Exists(py)) warn($"{py} is a Python config file, which JupyterRtc cannot read; use jupyter_server_config.json");
        }
        if (extraFile != null)
        {
            if (!File.Exists(extraFile)) throw new ArgumentException($"Config file not found: {extraFile}");
            if (!extraFile.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Only JSON config files can be read: {extraFile}");
            LoadFile(extraFile, settings, warn);
        }
        return settings;
    }

    private static void LoadFile(string file, Dictionary<string, string?> settings, Action<string> warn)
    {
        if (!File.Exists(file)) return;
        try
        {
            var root = JObject.Parse(File.ReadAllText(file));
            foreach (var cls in root.Properties())
            {
                var name = cls.Name == "NotebookApp" ? "ServerApp" : cls.Name;
                if (cls.Value is JObject traits) Flatten(name, traits, settings);
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            warn($"Could not read config file {file}: {e.Message}");
        }
    }

    private static void Flatten(string prefix, JToken token, Dictionary<string, string?> settings)
    {
        switch (token)
        {
            case JObject obj:
                foreach (var p in obj.Properties()) Flatten(prefix + ":" + p.Name, p.Value, settings);
                break;
            case JArray arr:
                for (var i = 0; i < arr.Count; i++) Flatten(prefix + ":" + i, arr[i], settings);
                break;
            case JValue v:
                settings[prefix] = v.Type switch
                {
                    JTokenType.Null => null,
                    JTokenType.Boolean => (bool)v ? "True" : "False",
                    _ => Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture),
                };
                break;
        }
    }
}
