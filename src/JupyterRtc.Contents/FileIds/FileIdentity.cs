using System.Runtime.InteropServices;

namespace JupyterRtc.Contents.FileIds;

/// <summary>
/// A file's identity on disk, (device, inode): unchanged by a rename or move within a file system, so a file moved
/// by another program (<c>mv</c> in a terminal, git) can be found again. Linux only; elsewhere there is none.
/// </summary>
internal static partial class FileIdentity
{
    // struct stat begins with st_dev then st_ino, both 64-bit, on x86_64 and on aarch64 (glibc exports stat since 2.33).
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static (ulong Dev, ulong Ino)? Of(string osPath)
    {
        if (_unavailable) return null;
        var buffer = new byte[256];   // larger than struct stat on every Linux architecture
        try
        {
            if (Stat(osPath, buffer) != 0) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return null;
        }
        return (BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8));
    }
}
