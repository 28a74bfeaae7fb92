using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Tests;

/// <summary>The lib0 golden vectors of yjs-format.md §20 (produced by npm lib0 0.2.120).</summary>
public class Lib0Tests
{
    private static string W(Action<Lib0Writer> f)
    {
        var w = new Lib0Writer();
        f(w);
        return Hex.Of(w.ToArray());
    }

    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "80 01")]
    [InlineData(300UL, "ac 02")]
    [InlineData(4294967295UL, "ff ff ff ff 0f")]
    [InlineData(9007199254740991UL, "ff ff ff ff ff ff ff 0f")]
    public void VarUint(ulong v, string hex)
    {
        Assert.Equal(hex, W(w => w.WriteVarUint(v)));
        Assert.Equal(v, new Lib0Reader(Hex.Parse(hex)).ReadVarUint());
    }

    [Theory]
    [InlineData(0L, false, "00")]
    [InlineData(0L, true, "40")]
    [InlineData(1L, false, "01")]
    [InlineData(-1L, false, "41")]
    [InlineData(63L, false, "3f")]
    [InlineData(64L, false, "80 01")]
    [InlineData(-64L, false, "c0 01")]
    [InlineData(8191L, false, "bf 7f")]
    [InlineData(-8192L, false, "c0 80 01")]
    public void VarInt(long v, bool negZero, string hex)
    {
        Assert.Equal(hex, W(w => w.WriteVarInt(v, negZero)));
        var r = new Lib0Reader(Hex.Parse(hex));
        Assert.Equal(v, r.ReadVarInt(out var neg));
        Assert.Equal(v < 0 || negZero, neg);
    }

    public static IEnumerable<object[]> AnyVectors() =>
    [
        [AnyValue.Undefined, "7f"],
        [AnyValue.Null, "7e"],
        [AnyValue.True, "78"],
        [AnyValue.False, "79"],
        [AnyValue.Number(0), "7d 00"],
        [AnyValue.Number(-0.0), "7d 40"],
        [AnyValue.Number(-1), "7d 41"],
        [AnyValue.Number(2147483647), "7d bf ff ff ff 0f"],
        [AnyValue.Number(2147483648), "7c 4f 00 00 00"],
        [AnyValue.Number(1e10), "7c 50 15 02 f9"],
        [AnyValue.Number(9007199254740991), "7b 43 3f ff ff ff ff ff ff"],
        [AnyValue.Number(1.5), "7c 3f c0 00 00"],
        [AnyValue.Number(0.1), "7b 3f b9 99 99 99 99 99 9a"],
        [AnyValue.Number(double.NaN), "7b 7f f8 00 00 00 00 00 00"],
        [AnyValue.Number(double.PositiveInfinity), "7c 7f 80 00 00"],
        [AnyValue.BigInt(-1), "7a ff ff ff ff ff ff ff ff"],
        [AnyValue.String("hé"), "77 03 68 c3 a9"],
        [AnyValue.String("😀"), "77 04 f0 9f 98 80"],
        [AnyValue.String("\ud83d"), "77 03 ef bf bd"],
        [AnyValue.Array(1, "a"), "75 02 7d 01 77 01 61"],
        [AnyValue.Object([new("b", 1), new("a", 2), new("10", 3), new("2", 4)]), "76 04 01 32 7d 04 02 31 30 7d 03 01 62 7d 01 01 61 7d 02"],
        [AnyValue.Bytes([1, 2]), "74 02 01 02"],
    ];

    [Theory]
    [MemberData(nameof(AnyVectors))]
    public void WriteAny(AnyValue v, string hex)
    {
        Assert.Equal(hex, W(w => w.WriteAny(v)));
        // round trip (a lone surrogate comes back as U+FFFD)
        var back = new Lib0Reader(Hex.Parse(hex)).ReadAny();
        var expected = v.Kind == AnyKind.String && v.AsString() == "\ud83d" ? AnyValue.String("\uFFFD") : v;
        Assert.True(AnyValue.DeepEquals(expected, back), back.ToString());
    }

    [Fact]
    public void NegativeZeroSurvivesDecoding()
    {
        var v = new Lib0Reader(Hex.Parse("7d 40")).ReadAny();
        Assert.True(double.IsNegative(v.AsNumber()) && v.AsNumber() == 0);
    }

    [Fact]
    public void ReaderRejectsGarbage()
    {
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(Hex.Parse("80 80")).ReadVarUint());
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(Hex.Parse("ff ff ff ff ff ff ff ff 0f")).ReadVarUint());
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(Hex.Parse("05 61")).ReadVarString());
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(Hex.Parse("02 c3 28")).ReadVarString());
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(Hex.Parse("75 ff ff ff 0f")).ReadAny());
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(Hex.Parse("73")).ReadAny());
        // deep nesting is bounded
        var deep = Enumerable.Repeat((byte)0x75, 100000).SelectMany(b => new byte[] { b, 1 }).ToArray();
        Assert.Throws<CrdtFormatException>(() => new Lib0Reader(deep).ReadAny());
    }

    [Fact]
    public void BomIsKept()
    {
        Assert.Equal("\uFEFFa", new Lib0Reader(Hex.Parse("04 ef bb bf 61")).ReadVarString());
    }

    [Theory]
    [InlineData(1e21, "1e+21")]
    [InlineData(5e-7, "5e-7")]
    [InlineData(1.5, "1.5")]
    [InlineData(123456789012, "123456789012")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(-2.5e-10, "-2.5e-10")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(100, "100")]
    [InlineData(0.1, "0.1")]
    public void JsNumberFormatting(double d, string js) => Assert.Equal(js, Json.NumberToString(d));

    [Fact]
    public void JsonStringifyMatchesJs()
    {
        var o = AnyValue.Object([new("b", AnyValue.Undefined), new("s", "a\"\\\n\u0001é\ud83d"), new("arr", AnyValue.Array(AnyValue.Undefined, double.NaN))]);
        Assert.Equal("{\"s\":\"a\\\"\\\\\\n\\u0001é\\ud83d\",\"arr\":[null,null]}", Json.Stringify(o));
        var parsed = Json.Parse("{\"x\": [1, 2.5, \"\\u00e9\"], \"2\": true, \"1\": null}");
        Assert.Equal("{\"1\":null,\"2\":true,\"x\":[1,2.5,\"é\"]}", Json.Stringify(parsed));
    }
}
