namespace JupyterRtc.Contents;

/// <summary>
/// File checkpoints as Jupyter's <c>FileCheckpoints</c> keeps them: one per file, a copy at
/// <c>&lt;dir&gt;/.ipynb_checkpoints/&lt;stem&gt;-checkpoint&lt;ext&gt;</c> (a hidden directory, so never listed).
/// </summary>
public sealed class CheckpointManager
{
    public const string DirName = ".ipynb_checkpoints";
    public const string DefaultId = "checkpoint";

    public static string CheckpointPath(string osPath, string id)
    {
        var dir = Path.GetDirectoryName(osPath)!;
        var name = Path.GetFileName(osPath);
        var ext = Path.GetExtension(name);
        var stem = name[..^ext.Length];
        return Path.Combine(dir, DirName, $"{stem}-{id}{ext}");
    }

    public CheckpointModel Create(string osPath)
    {
        var cp = CheckpointPath(osPath, DefaultId);
        Directory.CreateDirectory(Path.GetDirectoryName(cp)!);
        // Copy to a temporary name first so a failed copy never leaves a truncated checkpoint.
        var temp = cp + ".~tmp";
        try
        {
            File.Copy(osPath, temp, overwrite: true);
            File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(osPath));
            File.Move(temp, cp, overwrite: true);
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            throw;
        }
        return new CheckpointModel(DefaultId, File.GetLastWriteTimeUtc(cp));
    }

    public IReadOnlyList<CheckpointModel> List(string osPath)
    {
        var cp = CheckpointPath(osPath, DefaultId);
        return File.Exists(cp) ? [new CheckpointModel(DefaultId, File.GetLastWriteTimeUtc(cp))] : [];
    }

    /// <summary>Copies the checkpoint back over the file (atomically). False when there is no such checkpoint.</summary>
    public bool Restore(string osPath, string id)
    {
        var cp = CheckpointPath(osPath, id);
        if (!File.Exists(cp)) return false;
        var temp = Path.Combine(Path.GetDirectoryName(osPath)!, $".~{Path.GetFileName(osPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(cp, temp);
            AtomicFile.Replace(temp, osPath);
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            throw;
        }
        return true;
    }

    public bool Delete(string osPath, string id)
    {
        var cp = CheckpointPath(osPath, id);
        if (!File.Exists(cp)) return false;
        File.Delete(cp);
        return true;
    }

    public void RenameAll(string oldOsPath, string newOsPath)
    {
        var from = CheckpointPath(oldOsPath, DefaultId);
        if (!File.Exists(from)) return;
        var to = CheckpointPath(newOsPath, DefaultId);
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Move(from, to, overwrite: true);
    }

    public void DeleteAll(string osPath)
    {
        var cp = CheckpointPath(osPath, DefaultId);
        if (File.Exists(cp)) File.Delete(cp);
    }
}
