using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace JupyterRtc.Kernels;

/// <summary>A kernel's connection file: ports, transport, IP and the HMAC key.</summary>
public sealed class ConnectionInfo
{
    public string Ip { get; init; } = "127.0.0.1";
    public string Transport { get; init; } = "tcp";
    public int ShellPort { get; init; }
    public int IopubPort { get; init; }
    public int StdinPort { get; init; }
    public int ControlPort { get; init; }
    public int HbPort { get; init; }
    public string Key { get; init; } = "";
    public string SignatureScheme { get; init; } = "hmac-sha256";
    public string KernelName { get; init; } = "";

    public string Endpoint(int port) => $"{Transport}://{Ip}:{port}";

    /// <summary>Fresh ports (bound to port 0 on <paramref name="ip"/>, then released) and a fresh random key.</summary>
    public static ConnectionInfo CreateNew(string kernelName, string ip = "127.0.0.1")
    {
        var ports = FreePorts(ip, 5);
        return new ConnectionInfo
        {
            Ip = ip, ShellPort = ports[0], IopubPort = ports[1], StdinPort = ports[2], ControlPort = ports[3], HbPort = ports[4],
            Key = NewKey(), KernelName = kernelName,
        };
    }

    /// <summary>Same key, new ports: for a restart when the old ports cannot be reused.</summary>
    public ConnectionInfo WithNewPorts()
    {
        var ports = FreePorts(Ip, 5);
        return new ConnectionInfo
        {
            Ip = Ip, Transport = Transport, ShellPort = ports[0], IopubPort = ports[1], StdinPort = ports[2], ControlPort = ports[3],
            HbPort = ports[4], Key = Key, SignatureScheme = SignatureScheme, KernelName = KernelName,
        };
    }

    /// <summary>jupyter_client's <c>new_id</c> shape: 16 random bytes as dash-separated hex.</summary>
    public static string NewKey()
    {
        var h = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return $"{h[..8]}-{h[8..16]}-{h[16..24]}-{h[24..]}";
    }

    private static int[] FreePorts(string ip, int count)
    {
        // Hold all sockets open until every port is chosen, so the five are distinct.
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
            }
            return sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("shell_port", ShellPort);
            w.WriteNumber("iopub_port", IopubPort);
            w.WriteNumber("stdin_port", StdinPort);
            w.WriteNumber("control_port", ControlPort);
            w.WriteNumber("hb_port", HbPort);
            w.WriteString("ip", Ip);
            w.WriteString("key", Key);
            w.WriteString("transport", Transport);
            w.WriteString("signature_scheme", SignatureScheme);
            w.WriteString("kernel_name", KernelName);
            w.WriteEndObject();
        }
        // Owner-only from the first byte: the key lets anyone run code in the kernel.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var f = new FileStream(path, options);
        f.Write(ms.GetBuffer(), 0, (int)ms.Length);
    }

    public static ConnectionInfo Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var r = doc.RootElement;
        string S(string k, string d) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : d;
        int P(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        return new ConnectionInfo
        {
            Ip = S("ip", "127.0.0.1"), Transport = S("transport", "tcp"), ShellPort = P("shell_port"), IopubPort = P("iopub_port"),
            StdinPort = P("stdin_port"), ControlPort = P("control_port"), HbPort = P("hb_port"), Key = S("key", ""),
            SignatureScheme = S("signature_scheme", "hmac-sha256"), KernelName = S("kernel_name", ""),
        };
    }
}
