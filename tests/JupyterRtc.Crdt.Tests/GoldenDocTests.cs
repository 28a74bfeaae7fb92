using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Tests;

/// <summary>The document golden vectors of yjs-format.md §20, produced by npm yjs 13.6.33.</summary>
public class GoldenDocTests
{
    private static List<byte[]> Capture(Doc d, bool v2 = false)
    {
        var list = new List<byte[]>();
        if (v2) d.UpdateV2 += (u, _, _) => list.Add(u);
        else d.Update += (u, _, _) => list.Add(u);
        return list;
    }

    [Fact]
    public void TextAxc()
    {
        var d = new Doc(1);
        var v1 = Capture(d);
        var v2 = Capture(d, true);
        var t = d.GetText("text");
        t.Insert(0, "abc");
        t.Insert(1, "x");
        t.Delete(2, 1);
        Assert.Equal("axc", t.ToString());
        Assert.Equal("01 01 01 00 04 01 04 74 65 78 74 03 61 62 63 00", Hex.Of(v1[0]));
        Assert.Equal("00 00 01 01 00 00 01 04 0a 07 74 65 78 74 61 62 63 04 03 01 01 00 00 01 01 00 00", Hex.Of(v2[0]));
        Assert.Equal("01 01 01 03 c4 01 00 01 01 01 78 00", Hex.Of(v1[1]));
        Assert.Equal("00 01 01 01 01 01", Hex.Of(v1[2]));
        Assert.Equal("00 00 00 00 00 00 01 00 00 00 00 00 01 01 01 01 00", Hex.Of(v2[2]));
        Assert.Equal("01 01 04", Hex.Of(d.EncodeStateVector()));
        Assert.Equal("01 04 01 00 04 01 04 74 65 78 74 01 61 81 01 00 01 84 01 01 01 63 c4 01 00 01 01 01 78 01 01 01 01 01", Hex.Of(d.EncodeStateAsUpdate()));
        Assert.Equal("00 00 02 41 03 03 00 02 42 01 02 07 04 00 81 00 84 00 c4 0b 07 74 65 78 74 61 63 78 04 41 01 01 01 00 01 01 01 04 00 01 01 01 01 00", Hex.Of(d.EncodeStateAsUpdateV2()));
        Assert.Equal("01 02 01 02 84 01 01 01 63 c4 01 00 01 01 01 78 01 01 01 01 01", Hex.Of(d.EncodeStateAsUpdate(StateVector.Encode(new Dictionary<ulong, int> { [1] = 2 }))));

        // and back: both encodings decode to the same document
        foreach (var (bytes, isV2) in new[] { (d.EncodeStateAsUpdate(), false), (d.EncodeStateAsUpdateV2(), true) })
        {
            var e = new Doc(99);
            if (isV2) e.ApplyUpdateV2(bytes); else e.ApplyUpdate(bytes);
            Assert.Equal("axc", e.GetText("text").ToString());
            Assert.Equal(Hex.Of(d.EncodeStateAsUpdate()), Hex.Of(e.EncodeStateAsUpdate()));
        }
    }

    [Fact]
    public void Utf16()
    {
        var d = new Doc(7);
        var t = d.GetText("t");
        t.Insert(0, "a😀é");
        Assert.Equal(4, t.Length);
        Assert.Equal("01 01 07 00 04 01 01 74 07 61 f0 9f 98 80 c3 a9 00", Hex.Of(d.EncodeStateAsUpdate()));
        Assert.Equal("00 00 01 07 00 00 01 04 0b 08 74 61 f0 9f 98 80 c3 a9 01 04 01 01 00 00 01 01 00 00", Hex.Of(d.EncodeStateAsUpdateV2()));
    }

    [Fact]
    public void Map()
    {
        var d = new Doc(5);
        var m = d.GetMap("m");
        m.Set("k", 1);
        m.Set("k", "v");
        m.Set("n", null);
        m.Set("u", AnyValue.Undefined);
        m.Set("bin", new byte[] { 9 });
        var arr = new Types.YArray();
        m.Set("arr", arr);
        arr.Insert(0, 1, 2.5, "x");
        Assert.Equal("01 07 05 00 21 01 01 6d 01 6b 01 a8 05 00 01 77 01 76 28 01 01 6d 01 6e 01 7e 28 01 01 6d 01 75 01 7f " +
                     "23 01 01 6d 03 62 69 6e 01 09 27 01 01 6d 03 61 72 72 00 08 00 05 05 03 7d 01 7c 40 20 00 00 77 01 78 01 05 01 00 01",
            Hex.Of(d.EncodeStateAsUpdate()));
        Assert.Equal("00 00 02 45 01 02 00 0a 00 0b 21 00 a8 00 28 01 23 00 27 00 08 14 0e 6d 6b 6d 6e 6d 75 6d 62 69 6e 6d 61 72 72 41 " +
                     "05 03 01 03 03 01 04 00 01 00 03 41 02 03 01 07 00 77 01 76 7e 7f 01 09 7d 01 7c 40 20 00 00 77 01 78 01 05 01 00 00",
            Hex.Of(d.EncodeStateAsUpdateV2()));
        Assert.Equal("{\"k\":\"v\",\"n\":null,\"bin\":{\"0\":9},\"arr\":[1,2.5,\"x\"]}", m.ToJson().ToString());
    }

    [Fact]
    public void Formatting()
    {
        var d = new Doc(3);
        var t = d.GetText("t");
        t.Insert(0, "hello");
        t.Format(1, 2, [new("bold", true)]);
        Assert.Equal("01 05 03 00 04 01 01 74 01 68 84 03 00 02 65 6c 84 03 02 02 6c 6f c6 03 00 03 01 04 62 6f 6c 64 04 74 72 75 65 " +
                     "c6 03 02 03 03 04 62 6f 6c 64 04 6e 75 6c 6c 00", Hex.Of(d.EncodeStateAsUpdate()));
        Assert.Equal("00 02 00 02 02 43 05 04 00 04 44 04 02 02 04 05 04 00 84 01 c6 15 0e 74 68 65 6c 6c 6f 62 6f 6c 64 62 6f 6c 64 41 " +
                     "00 42 00 44 00 01 01 00 00 01 05 00 78 7e 00", Hex.Of(d.EncodeStateAsUpdateV2()));
        Assert.Equal("[{\"insert\":\"h\"},{\"insert\":\"el\",\"attributes\":{\"bold\":true}},{\"insert\":\"lo\"}]",
            Types.DeltaOp.ToAny(t.ToDelta()).ToString());
    }

    [Fact]
    public void ConcurrentInsertsConverge()
    {
        var a = new Doc(1);
        var b = new Doc(2);
        a.GetText("t").Insert(0, "A");
        b.GetText("t").Insert(0, "B");
        a.ApplyUpdate(b.EncodeStateAsUpdate());
        b.ApplyUpdate(a.EncodeStateAsUpdate());
        Assert.Equal("AB", a.GetText("t").ToString());
        Assert.Equal("AB", b.GetText("t").ToString());
    }

    [Fact]
    public void Pending()
    {
        var a = new Doc(9);
        var ups = Capture(a);
        a.GetText("t").Insert(0, "a");
        a.GetText("t").Insert(1, "b");
        var r = new Doc(10);
        r.ApplyUpdate(ups[1]);
        Assert.Equal("", r.GetText("t").ToString());
        Assert.Equal(0, r.PendingMissing![9]);
        Assert.Equal("01 01 09 01 84 09 00 01 62 00", Hex.Of(r.EncodeStateAsUpdate()));
        r.ApplyUpdate(ups[0]);
        Assert.Equal("ab", r.GetText("t").ToString());
        Assert.False(r.HasPendingUpdates);
    }
}
