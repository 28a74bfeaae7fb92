using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Contents.Tests;

/// <summary>
/// The byte-level transcoder (escaped JSON bytes to Python's escaping, split into lines) against the plain path that
/// decodes to a .NET string first, on random strings full of escapes, line boundaries, controls and astral characters,
/// written by System.Text.Json with and without escaping of non-ASCII (clients send both).
/// </summary>
public class PythonJsonTests
{
    private static readonly string[] Pieces =
    [
        "a", "xyz", "é", "€", "😀", "\n", "\r", "\r\n", "\t", "\b", "\f", "\v", "\x1c", "\x1d", "\x1e", "\u0085", "\u2028",
        "\u2029", "\"", "\\", "/", "\0", "\x01", "\x1f", "\x7f", "<", "&", "'", "\ud800", "\udc00", "©", "“",
    ];

    private static string RandomText(Random rng)
    {
        var sb = new StringBuilder();
        var n = rng.Next(0, 12);
        for (var i = 0; i < n; i++) sb.Append(Pieces[rng.Next(Pieces.Length)]);
        return sb.ToString();
    }

    [Fact]
    public void Transcoding_escaped_bytes_matches_decoding_then_escaping()
    {
        var rng = new Random(1234);
        var encoders = new[] { JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        for (var iteration = 0; iteration < 20000; iteration++)
        {
            var text = RandomText(rng);
            var json = JsonSerializer.Serialize(text, new JsonSerializerOptions { Encoder = encoders[iteration % 2] });
            using var doc = JsonTape.Parse(json);
            var element = doc.Root;

            var fast = new PythonJson(); fast.Lines(element, 2);
            var slow = new PythonJson(); slow.Lines(NotebookFormat.Split(element.GetString()!), 2);
            Assert.True(fast.ToArray().AsSpan().SequenceEqual(slow.ToArray()), $"lines of {json}: {Encoding.UTF8.GetString(fast.ToArray())} vs {Encoding.UTF8.GetString(slow.ToArray())}");

            var fastS = new PythonJson(); fastS.String(element);
            var slowS = new PythonJson(); slowS.String(element.GetString()!);
            Assert.True(fastS.ToArray().AsSpan().SequenceEqual(slowS.ToArray()), $"string {json}");
        }
    }

    [Fact]
    public void Lines_follow_python_splitlines()
    {
        using var doc = JsonTape.Parse("\"a\\r\\nb\\rc\\u000bd\\u2028e\\n\"");
        var w = new PythonJson(); w.Lines(doc.Root, 0);
        Assert.Equal("[\n \"a\\r\\n\",\n \"b\\r\",\n \"c\\u000b\",\n \"d\u2028\",\n \"e\\n\"\n]", Encoding.UTF8.GetString(w.ToArray()));
        using var empty = JsonTape.Parse("\"\"");
        var e = new PythonJson(); e.Lines(empty.Root, 0);
        Assert.Equal("[]", Encoding.UTF8.GetString(e.ToArray()));
    }

    /// <summary>
    /// Keys in Python's order (code points: astral characters after U+FFFF, which UTF-16 order would put before it), the
    /// last of duplicated keys kept, with and without escaped names (which take the decoded path). The expected texts are
    /// what <c>json.dumps(json.loads(src), sort_keys=True, indent=1, ensure_ascii=False, separators=(",", ": "))</c> printed
    /// with Debian's Python 3.
    /// </summary>
    [Theory]
    // The fifth key is U+FFFF itself, unescaped; the first object has no escaped name, the second three.
    [InlineData("""{"b": 1, "a": 2, "é": 3, "😀": 4, "￿": 5, "z": 6, "a": 7, "Z": 9, "ﬁ": 11, "ab": {"y": 1, "x": 2, "y": 3}}""",
        "{\n \"Z\": 9,\n \"a\": 7,\n \"ab\": {\n  \"x\": 2,\n  \"y\": 3\n },\n \"b\": 1,\n \"z\": 6,\n \"é\": 3,\n \"ﬁ\": 11,\n \"\uffff\": 5,\n \"😀\": 4\n}")]
    [InlineData("""{"b": 1, "a": 2, "é": 3, "😀": 4, "￿": 5, "z": 6, "a": 7, "\u00e9x": 8, "Z": 9, "\ud83d\ude01": 10, "ﬁ": 11, "\u0062b": 12}""",
        "{\n \"Z\": 9,\n \"a\": 7,\n \"b\": 1,\n \"bb\": 12,\n \"z\": 6,\n \"é\": 3,\n \"éx\": 8,\n \"ﬁ\": 11,\n \"\uffff\": 5,\n \"😀\": 4,\n \"😁\": 10\n}")]
    public void Keys_are_sorted_by_code_point_and_the_last_duplicate_wins(string src, string expected)
    {
        using var doc = JsonTape.Parse(src);
        Assert.Equal(expected, PythonJson.Dumps(doc.Root));
    }
}
