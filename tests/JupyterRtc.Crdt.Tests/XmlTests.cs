using System.Text.Json.Nodes;

namespace JupyterRtc.Crdt.Tests;

/// <summary>XML types (no editing API here) survive a round trip byte for byte (tests/node/crdt/xml.js builds them in yjs).</summary>
public class XmlTests
{
    [Fact]
    public void XmlIsKeptIntact()
    {
        var yjs = JsonNode.Parse(TestEnv.Node("xml.js", ""))!;
        var v1 = Convert.FromHexString((string)yjs["v1"]!);
        var v2 = Convert.FromHexString((string)yjs["v2"]!);
        var a = new Doc(1);
        a.ApplyUpdate(v1);
        Assert.Equal(v1, a.EncodeStateAsUpdate());
        Assert.Equal(v2, a.EncodeStateAsUpdateV2());
        var b = new Doc(2);
        b.ApplyUpdateV2(v2);
        Assert.Equal(v1, b.EncodeStateAsUpdate());
        Assert.Equal((string)yjs["str"]!, b.GetXmlFragment("prosemirror").ToString());
    }
}
