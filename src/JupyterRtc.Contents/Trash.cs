using System.Globalization;
using System.Text;

namespace JupyterRtc.Contents;

/// <summary>
/// Moves deleted files and directories to the freedesktop.org trash (<c>files/</c> plus a <c>.trashinfo</c> record in
/// <c>info/</c>), as Jupyter's <c>send2trash</c> does, so "delete" in the file browser can be undone from the desktop.
/// </summary>
public static class Trash
{
    public static string DefaultDir()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "Trash");
    }

    public static void MoveToTrash(string osPath, string trashDir)
    {
        var files = Path.Combine(trashDir, "files");
        var info = Path.Combine(trashDir, "info");
        Directory.CreateDirectory(files);
        Directory.CreateDirectory(info);
        var name = Path.GetFileName(osPath.TrimEnd(Path.DirectorySeparatorChar));
        var stem = Path.GetFileNameWithoutExtension(name);
        var ext = Path.GetExtension(name);
        string target;
        string infoPath;
        for (var i = 0; ; i++)
        {
            var candidate = i == 0 ? name : $"{stem} {i}{ext}";
            target = Path.Combine(files, candidate);
            infoPath = Path.Combine(info, candidate + ".trashinfo");
            if (File.Exists(target) || Directory.Exists(target) || File.Exists(infoPath)) continue;
            try
            {
                using var fs = new FileStream(infoPath, FileMode.CreateNew, FileAccess.Write);
                var text = "[Trash Info]\nPath=" + Uri.EscapeDataString(osPath).Replace("%2F", "/") +
                           "\nDeletionDate=" + DateTime.Now.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "\n";
                fs.Write(Encoding.UTF8.GetBytes(text));
                break;
            }
            catch (IOException) when (File.Exists(infoPath)) { }
        }
        try
        {
            if (Directory.Exists(osPath)) MoveDirectory(osPath, target);
            else File.Move(osPath, target);
        }
        catch
        {
            File.Delete(infoPath);
            throw;
        }
    }

    private static void MoveDirectory(string from, string to)
    {
        try { Directory.Move(from, to); }
        catch (IOException)
        {
            // Across filesystems: copy then delete.
            CopyDirectory(from, to);
            Directory.Delete(from, recursive: true);
        }
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.EnumerateDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
