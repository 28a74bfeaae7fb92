using System.Security.Cryptography;
using System.Text;

namespace JupyterRtc.Kernels.Wire;

/// <summary>
/// HMAC-SHA256 over header ‖ parent_header ‖ metadata ‖ content, as lowercase hex (the kernel wire protocol). Not
/// thread-safe: each socket thread owns one. An empty key means no signing (empty signature, nothing verified).
/// </summary>
public sealed class MessageSigner : IDisposable
{
    private readonly IncrementalHash? _hmac;
    private readonly byte[] _hash = new byte[32];

    public MessageSigner(string key)
    {
        if (key.Length > 0) _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.ASCII.GetBytes(key));
    }

    public bool Enabled => _hmac != null;

    /// <summary>The hex signature of the four parts (empty when signing is off).</summary>
    public byte[] Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (_hmac == null) return [];
        var hex = new byte[64];
        SignInto(header, parent, metadata, content, hex);
        return hex;
    }

    private void SignInto(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content, Span<byte> hex)
    {
        _hmac!.AppendData(header);
        _hmac.AppendData(parent);
        _hmac.AppendData(metadata);
        _hmac.AppendData(content);
        _hmac.GetHashAndReset(_hash);
        Convert.TryToHexStringLower(_hash, hex, out _);
    }

    /// <summary>Constant-time check of a received signature. With signing off, every message passes.</summary>
    public bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (_hmac == null) return true;
        Span<byte> hex = stackalloc byte[64];
        SignInto(header, parent, metadata, content, hex);
        return signature.Length == 64 && CryptographicOperations.FixedTimeEquals(signature, hex);
    }

    public void Dispose() => _hmac?.Dispose();
}
