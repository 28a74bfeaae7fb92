using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace JupyterRtc.Kernels;

/// <summary>One kernelspec: a directory holding <c>kernel.json</c> (and logos), found in the Jupyter data path.</summary>
public sealed class KernelSpec
{
    public required string Name { get; init; }
    public required string ResourceDir { get; init; }
    public required IReadOnlyList<string> Argv { get; init; }
    public required string DisplayName { get; init; }
    public required string Language { get; init; }
    /// <summary><c>signal</c> (SIGINT to the process) or <c>message</c> (<c>interrupt_request</c> on control).</summary>
    public string InterruptMode { get; init; } = "signal";
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>kernel.json with Jupyter's defaults filled in (<c>env</c>, <c>interrupt_mode</c>, <c>metadata</c>).</summary>
    public required JsonObject Json { get; init; }

    /// <summary>Resource files served under <c>/kernelspecs/&lt;name&gt;/</c>: logos, kernel.js, kernel.css.</summary>
    public IEnumerable<(string Key, string File)> Resources()
    {
        IEnumerable<string> files;
        try { files = Directory.EnumerateFiles(ResourceDir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList(); }
        catch (IOException) { yield break; }
        catch (UnauthorizedAccessException) { yield break; }
        foreach (var f in files)
        {
            if (f.StartsWith("logo-", StringComparison.Ordinal)) yield return (Path.GetFileNameWithoutExtension(f), f);
            else if (f is "kernel.js" or "kernel.css") yield return (f, f);
        }
    }

    /// <summary>Reads <c>dir/kernel.json</c>. Throws <see cref="InvalidDataException"/> when it is not a usable spec.</summary>
    public static KernelSpec Load(string name, string dir)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllBytes(Path.Combine(dir, "kernel.json"))); }
        catch (JsonException e) { throw new InvalidDataException($"{dir}/kernel.json: {e.Message}"); }
        if (node is not JsonObject o) throw new InvalidDataException($"{dir}/kernel.json is not a JSON object");
        if (o["argv"] is not JsonArray argv || argv.Count == 0 || argv.Any(a => a is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
            throw new InvalidDataException($"{dir}/kernel.json: 'argv' must be a non-empty list of strings");
        o["env"] ??= new JsonObject();
        o["interrupt_mode"] ??= "signal";
        o["metadata"] ??= new JsonObject();
        var env = new Dictionary<string, string>();
        if (o["env"] is JsonObject envObj)
            foreach (var (k, v) in envObj) if (v is JsonValue s && s.GetValueKind() == JsonValueKind.String) env[k] = s.GetValue<string>();
        return new KernelSpec
        {
            Name = name,
            ResourceDir = dir,
            Argv = argv.Select(a => a!.GetValue<string>()).ToList(),
            DisplayName = Str(o["display_name"]) ?? name,
            Language = Str(o["language"]) ?? "",
            InterruptMode = Str(o["interrupt_mode"]) is "message" ? "message" : "signal",
            Env = env,
            Json = o,
        };
    }

    private static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>Finds kernelspecs, as jupyter_client's <c>KernelSpecManager</c>. Swappable through DI.</summary>
public interface IKernelSpecManager
{
    string DefaultKernelName { get; }
    /// <summary>All valid specs by name; the first directory in the search path wins per name.</summary>
    IReadOnlyDictionary<string, KernelSpec> FindAll();
    KernelSpec? Get(string name);
}

public sealed partial class KernelSpecManager : IKernelSpecManager
{
    private readonly IReadOnlyList<string> _kernelDirs;
    private readonly HashSet<string>? _allowed;
    private readonly Action<string>? _warn;

    /// <param name="dataPath">Jupyter data directories, highest priority first; specs live in their <c>kernels/</c> subfolders.</param>
    public KernelSpecManager(IEnumerable<string> dataPath, string defaultKernelName = "python3", IEnumerable<string>? allowed = null, Action<string>? warn = null)
    {
        _kernelDirs = dataPath.Select(d => Path.Combine(d, "kernels")).Distinct().ToList();
        DefaultKernelName = defaultKernelName;
        _allowed = allowed?.ToHashSet();
        if (_allowed is { Count: 0 }) _allowed = null;
        _warn = warn;
    }

    public string DefaultKernelName { get; }

    public IReadOnlyList<string> KernelDirs => _kernelDirs;

    [GeneratedRegex(@"^[a-z0-9._\-]+$")]
    private static partial Regex ValidName();

    public IReadOnlyDictionary<string, KernelSpec> FindAll()
    {
        var result = new Dictionary<string, KernelSpec>(StringComparer.Ordinal);
        foreach (var root in _kernelDirs)
        {
            if (!Directory.Exists(root)) continue;
            IEnumerable<string> dirs;
            try { dirs = Directory.EnumerateDirectories(root).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var dir in dirs)
            {
                if (!File.Exists(Path.Combine(dir, "kernel.json"))) continue;
                var name = Path.GetFileName(dir).ToLowerInvariant();
                if (result.ContainsKey(name) || (_allowed != null && !_allowed.Contains(name))) continue;
                if (!ValidName().IsMatch(name)) _warn?.Invoke($"Invalid kernelspec directory name ({name}) in {root}");
                try { result[name] = KernelSpec.Load(name, dir); }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    _warn?.Invoke($"Skipping kernelspec {name}: {e.Message}");
                }
            }
        }
        return result;
    }

    public KernelSpec? Get(string name) => FindAll().GetValueOrDefault(name.ToLowerInvariant());
}
