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

    /// <summary>The same digest, fed piece by piece (a file signed while it is written).</summary>
    public PieceDigest NewDigest() => new(IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret));
}

/// <summary>
/// <see cref="NotebookNotary.Digest"/> of a file given in pieces as it is written. A large piece is hashed on another
/// thread, in order, from a copy, so the writer goes on producing the file meanwhile: a 20 MB notebook's HMAC is ~13 ms
/// that a save no longer waits for (docs/benchmarks.md, contents). Small pieces are hashed in line.
/// </summary>
public sealed class PieceDigest : IDisposable
{
    private readonly IncrementalHash _hash;
    private readonly BackgroundSink _pieces;

    internal PieceDigest(IncrementalHash hash)
    {
        _hash = hash;
        _pieces = new BackgroundSink(hash.AppendData, inlineBytes: 64 << 10);
    }

    public void Append(ReadOnlySpan<byte> piece) => _pieces.Append(piece);

    /// <summary>The hex digest of everything appended, once it is all hashed.</summary>
    public string Finish()
    {
        _pieces.Finish();
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <summary>Waits for pieces still being hashed (they use the hash), then frees it.</summary>
    public void Dispose()
    {
        _pieces.Dispose();
        _hash.Dispose();
    }
}
