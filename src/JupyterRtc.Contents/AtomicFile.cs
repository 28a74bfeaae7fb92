namespace JupyterRtc.Contents;

/// <summary>
/// Writes a file so that readers see either the old bytes or the new ones, never a mix: the data goes to a hidden
/// temporary file in the same directory, is flushed to disk, and then replaces the target in one rename. On any
/// failure (disk full, permissions) the temporary file is removed and the old file is untouched.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> data)
    {
        var dir = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(dir, $".~{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
            Replace(temp, path);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Moves a finished temporary file over the target, keeping the target's permission bits.</summary>
    public static void Replace(string temp, string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            try { File.SetUnixFileMode(temp, File.GetUnixFileMode(path)); } catch (IOException) { }
        }
        File.Move(temp, path, overwrite: true);
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
