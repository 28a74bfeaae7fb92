using System.Diagnostics;

namespace JupyterRtc.Crdt.Tests;

/// <summary>Paths of the repository, the shared B4 data and the Node oracle scripts; running node.</summary>
internal static class TestEnv
{
    public static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "tests", "node", "package.json"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string NodeDir => Path.Combine(RepoRoot, "tests", "node", "crdt");

    public static string B4Dir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("B4_DIR");
            if (!string.IsNullOrEmpty(env)) return env;
            // The copy kept in the repository (tests/data/b4, CC-BY 4.0), then ../shared next to it.
            var inRepo = Path.Combine(RepoRoot, "tests", "data", "b4");
            if (File.Exists(Path.Combine(inRepo, "b4-edits.json"))) return inRepo;
            foreach (var up in new[] { "..", Path.Combine("..", "..") })
            {
                var p = Path.GetFullPath(Path.Combine(RepoRoot, up, "shared", "data", "b4"));
                if (File.Exists(Path.Combine(p, "b4-edits.json"))) return p;
            }
            throw new InvalidOperationException("B4 data not found; set B4_DIR");
        }
    }

    /// <summary>Runs a node script from tests/node/crdt; returns stdout, throws with stderr on failure.</summary>
    public static string Node(string script, string args, string? stdin = null, int timeoutMs = 300_000)
    {
        var psi = new ProcessStartInfo("node", $"{Path.Combine(NodeDir, script)} {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = NodeDir,
        };
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException($"node {script} timed out");
        }
        var stdout = stdoutTask.Result;
        if (p.ExitCode != 0) throw new InvalidOperationException($"node {script} {args} failed ({p.ExitCode}): {stderrTask.Result}");
        return stdout;
    }
}
