using System.Security.Cryptography;

namespace JupyterRtc.Contents;

/// <summary>
/// Remembers which notebooks this server wrote while every code cell with output was trusted, so their outputs are
/// trusted again when reopened (Jupyter's notebook signatures). A signature is an HMAC of the file bytes exactly as
/// written, with a secret kept in the data directory; any change made elsewhere voids it. The store is a text file of
/// hex digests next to the secret; without a data directory signatures live in memory only.
/// </summary>
public sealed class NotebookNotary
{
    private readonly byte[] _secret;
    private readonly HashSet<string> _signatures = new(StringComparer.Ordinal);
    private readonly string? _storePath;
    private readonly Lock _lock = new();

    public NotebookNotary(string? dataDir)
    {
        if (dataDir == null) { _secret = RandomNumberGenerator.GetBytes(32); return; }
        Directory.CreateDirectory(dataDir);
        var secretPath = Path.Combine(dataDir, "jupyter_rtc_notebook_secret");
        _storePath = Path.Combine(dataDir, "jupyter_rtc_signatures.txt");
        try
        {
            if (File.Exists(secretPath)) _secret = Convert.FromBase64String(File.ReadAllText(secretPath).Trim());
            else
            {
                _secret = RandomNumberGenerator.GetBytes(32);
                File.WriteAllText(secretPath, Convert.ToBase64String(_secret));
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(secretPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            if (File.Exists(_storePath))
                foreach (var line in File.ReadLines(_storePath)) if (line.Length > 0) _signatures.Add(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            _secret ??= RandomNumberGenerator.GetBytes(32);
            _storePath = null;
        }
    }

    /// <summary>Records the signature (<see cref="Digest"/>) of file bytes just written.</summary>
    public void Sign(string digest)
    {
        lock (_lock)
        {
            if (!_signatures.Add(digest) || _storePath == null) return;
            try { File.AppendAllText(_storePath, digest + "\n"); } catch (IOException) { }
        }
    }

    public bool IsSigned(ReadOnlySpan<byte> fileBytes)
    {
        lock (_lock) { if (_signatures.Count == 0) return false; }
        var digest = Digest(fileBytes);
        lock (_lock) return _signatures.Contains(digest);
    }

    public string Digest(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(HMACSHA256.HashData(_secret, bytes));

    /// <summary>The same digest, fed piece by piece (a file signed while it is written); hex of its hash is the digest.</summary>
    public IncrementalHash NewDigest() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);
}
