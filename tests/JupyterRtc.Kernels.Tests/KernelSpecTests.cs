using System.Text;
using JupyterRtc.Kernels.Wire;

namespace JupyterRtc.Kernels.Tests;

public class KernelSpecTests
{
    [Fact]
    public void FindsDebianPython3Spec_WithDefaults()
    {
        var specs = new KernelSpecManager(["/nonexistent", "/usr/share/jupyter"]);
        var spec = specs.Get("python3");
        Assert.NotNull(spec);
        Assert.Equal("/usr/bin/python3", spec.Argv[0]);
        Assert.Contains("{connection_file}", spec.Argv);
        Assert.Equal("python", spec.Language);
        Assert.Equal("signal", spec.InterruptMode);
        Assert.NotNull(spec.Json["env"]);
        Assert.NotNull(spec.Json["metadata"]);
        Assert.Contains(spec.Resources(), r => r.Key == "logo-64x64" && r.File == "logo-64x64.png");
    }

    [Fact]
    public void FirstDirectoryWins_NamesLowerCased_InvalidSkipped()
    {
        var a = Directory.CreateTempSubdirectory("jrtc-specs-a").FullName;
        var b = Directory.CreateTempSubdirectory("jrtc-specs-b").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(a, "kernels", "MyKernel"));
            File.WriteAllText(Path.Combine(a, "kernels", "MyKernel", "kernel.json"),
                """{"argv": ["x", "{connection_file}"], "display_name": "A", "language": "a", "interrupt_mode": "message"}""");
            Directory.CreateDirectory(Path.Combine(b, "kernels", "mykernel"));
            File.WriteAllText(Path.Combine(b, "kernels", "mykernel", "kernel.json"), """{"argv": ["y"], "display_name": "B", "language": "b"}""");
            Directory.CreateDirectory(Path.Combine(b, "kernels", "broken"));
            File.WriteAllText(Path.Combine(b, "kernels", "broken", "kernel.json"), """{"argv": "not a list"}""");
            var warnings = new List<string>();
            var all = new KernelSpecManager([a, b], warn: warnings.Add).FindAll();
            Assert.Equal("A", all["mykernel"].DisplayName);
            Assert.Equal("message", all["mykernel"].InterruptMode);
            Assert.False(all.ContainsKey("broken"));
            Assert.Contains(warnings, w => w.Contains("broken"));
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Fact]
    public void ConnectionFile_FreshPortsAndKey_OwnerOnly()
    {
        var info = ConnectionInfo.CreateNew("python3");
        var ports = new[] { info.ShellPort, info.IopubPort, info.StdinPort, info.ControlPort, info.HbPort };
        Assert.Equal(5, ports.Distinct().Count());
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$", info.Key);
        var path = Path.Combine(Path.GetTempPath(), $"jrtc-conn-{Guid.NewGuid()}.json");
        try
        {
            info.Write(path);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var back = ConnectionInfo.Read(path);
            Assert.Equal(info.Key, back.Key);
            Assert.Equal(info.HbPort, back.HbPort);
            Assert.Equal("hmac-sha256", back.SignatureScheme);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Signer_MatchesReferenceHmac_AndRejectsForgeries()
    {
        using var signer = new MessageSigner("secret");
        byte[] h = "{\"a\":1}"u8.ToArray(), p = "{}"u8.ToArray(), m = "{}"u8.ToArray(), c = "{\"x\":2}"u8.ToArray();
        var sig = signer.Sign(h, p, m, c);
        using var reference = new System.Security.Cryptography.HMACSHA256(Encoding.ASCII.GetBytes("secret"));
        var expected = Convert.ToHexStringLower(reference.ComputeHash([.. h, .. p, .. m, .. c]));
        Assert.Equal(expected, Encoding.ASCII.GetString(sig));
        Assert.True(signer.Verify(sig, h, p, m, c));
        Assert.False(signer.Verify(sig, h, p, m, "{\"x\":3}"u8));
        Assert.False(signer.Verify([], h, p, m, c));
    }

    [Fact]
    public void HeaderParsing_ReadsOnlyRoutingFields()
    {
        var msg = KernelMessage.FromParts(KernelChannel.IOPub,
            """{"msg_id":"m1","nested":{"msg_type":"no"},"msg_type":"status","session":"s1"}"""u8.ToArray(),
            """{"msg_id":"p1","msg_type":"execute_request","session":"client-7"}"""u8.ToArray(),
            "{}"u8.ToArray(), """{"execution_state":"busy"}"""u8.ToArray());
        Assert.Equal(("m1", "status", "s1"), (msg.MsgId, msg.MsgType, msg.Session));
        Assert.Equal(("p1", "execute_request", "client-7"), (msg.ParentMsgId, msg.ParentMsgType, msg.ParentSession));
        Assert.Equal("busy", msg.ExecutionState());
        Assert.Throws<FormatException>(() => KernelMessage.FromParts(KernelChannel.Shell, "[1]"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray()));
        Assert.Throws<FormatException>(() => KernelMessage.FromParts(KernelChannel.Shell, "{\"msg_id\":"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray()));
    }
}
