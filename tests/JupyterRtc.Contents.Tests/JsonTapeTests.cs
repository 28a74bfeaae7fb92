using System.Text;
using System.Text.Json;
using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Contents.Tests;

/// <summary>
/// <see cref="JsonTape"/> against its oracle, <see cref="JsonDocument"/> parsed with a depth limit of 512: the same
/// texts are accepted, a rejected text fails with System.Text.Json's own exception and message, and an accepted one
/// reads the same everywhere (kinds, raw bytes and their offsets, names, strings, numbers, property look-up with
/// duplicates, deep equality, writing). Hand-written edge cases, strings probed around vector widths, a seeded fuzz of
/// random documents and byte mutations of them, and a notebook-sized document.
/// </summary>
public sealed partial class JsonTapeTests
{
    // ------------------------------------------------------------------------------------------------ 1. hand-written inputs

    private static readonly byte[][] Inputs = BuildInputs();

    public static TheoryData<int, string> InputCases()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < Inputs.Length; i++) data.Add(i, Show(Inputs[i], 60));
        return data;
    }

    [Theory]
    [MemberData(nameof(InputCases))]
    public void Accepts_rejects_and_reads_each_input_as_JsonDocument_does(int index, string shown)
    {
        Assert.Equal(Show(Inputs[index], 60), shown);
        using var _ = AssertParity(Inputs[index]);
    }

    private static byte[][] BuildInputs()
    {
        var list = new List<byte[]>();
        void S(params string[] texts) => list.AddRange(texts.Select(Encoding.UTF8.GetBytes));
        void B(params object[] parts) => list.Add(Bytes(parts));

        // Empty, whitespace, line counting in messages.
        S("", " ", "\t", "\n", "\r", "\r\n", " \t\n\r ", "\u000b", "\u000c", "\u00a0", "\u00a01", " 1 ", "\n\n  1\n", "\t[\r\n1 ,\t2 ]\n",
            "\n\n  x", "[\n1,\n2,\nx]", "\r\r1 x", "\r\n\r\n  [1,\r\n  2,,]", "[\"a\",\n\"b\"\n\"c\"]");

        // Byte order marks.
        B(0xEF, 0xBB, 0xBF);
        B(0xEF, 0xBB, 0xBF, "1");
        B(0xEF, 0xBB, 0xBF, "{}");
        B(0xEF, 0xBB, 0xBF, " [1]");
        B(0xEF, 0xBB);
        B(0xEF, 0xBB, "1");
        B(0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, "1");
        B("1", 0xEF, 0xBB, 0xBF);
        B(" ", 0xEF, 0xBB, 0xBF, "1");
        B("[", 0xEF, 0xBB, 0xBF, "1]");
        B(0xFE, 0xFF, 0, (int)'1');
        B(0xFF, 0xFE, (int)'1', 0);
        S("\"\uFEFF\"", "{\"\uFEFF\":\"\uFEFF\"}");

        // Literals.
        S("true", "false", "null", "tru", "nulll", "True", "TRUE", "NULL", "Null", "fals", "falsee", "nul", "t", "f", "n", "truefalse",
            "true false", "true,", "[true,false,null]", "[tru]", "[nul]", "[true1]", "{\"a\":nul}", "{\"a\":true}", "nullx", "[nullx]",
            "null]", "[t]", "[truex]", "nan", "undefined", "[True]", "[false ,true,null ]", "tRue", "nuLl", "n\u0000ll", "[fa]", "{\"a\":f}");

        // Numbers.
        S("0", "-0", "1", "-1", "7", "10", "0.0", "-0.0", "1.5", "-1.5", "0.5", "1e5", "1E5", "1e+5", "1E+5", "1e-5", "1E-3", "1e0", "1e-0",
            "0e0", "-0e-0", "0E+0", "1.5e3", "123456789012345678901234567890", "-123456789012345678901234567890", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "2147483647", "2147483648", "-2147483648", "-2147483649",
            "4294967295", "18446744073709551615", "18446744073709551616", "1e308", "1.7976931348623157e308", "1.7976931348623159e308", "1e309",
            "-1e309", "1e400", "1e999999999999", "1e-999999999999", "4.9e-324", "5e-324", "2e-324", "1e-400", "0.000000000000000000000000000001",
            "1.0000000000000000000000000001", "3.141592653589793238462643383279", "100000000000000000000000000000000000000e-38", "0.1e1",
            "12e-1", "1.00", "100e-2", "1E00000000000000000000000000001", "[1,1.0,1e0,10e-1,0.1e1,100E-2]", "[0,-0,0.0,-0.0,0e10,-0e-10]",
            "[2147483647,2147483648,-2147483648,-2147483649]", "[1e400,-1e400,1e-400]", "[100,1e2,1E+2,1000e-1,100.000]",
            "[0.1,0.10,1e-1,0.01e1]", "[123456789012345678901234567890,123456789012345678901234567891]", "{\"a\":-0,\"b\":0}",
            new string('9', 400), "1" + new string('0', 400) + "e-400", "0." + new string('0', 400) + "1", "[" + new string('7', 1000) + "]",
            "-" + new string('1', 64));
        S("01", "-01", "00", "001", "1.", "-", "-a", ".5", "-.5", "+1", "+0", "1e", "1e+", "1e-", "1E-", "1.e5", "1.e", "0x10", "0X1",
            "1_000", "NaN", "Infinity", "-Infinity", "1..2", "1.2.3", "1ee5", "1e5e5", "--1", "1e5.5", "- 1", "1 2", "0.", "-0.", "1e+-5",
            "01.5", "-00", "[01]", "[1.]", "[-]", "{\"a\":01}", "{\"a\":-}", "1a", "1e5a", "[1e]", "[1.e1]", "\u0661", "\uFF11", "1,000",
            "[.1]", "[1e+]", "-e5", "0e", "1.5e", "[0-1]", "1-2", "2.", "0.e1", "1.5.", "[1]1", "1\"", "1[", "-\"", "0a", "[1,-]", "1e1.",
            "[1e5x]", "-Infinity1", "1E+", "[0.e]");

        // Strings and escapes.
        S("\"\"", "\"abc\"", "\" \"", "\"\\\"\"", "\"\\\\\"", "\"\\/\"", "\"/\"", "\"\\b\"", "\"\\f\"", "\"\\n\"", "\"\\r\"", "\"\\t\"",
            "\"\\b\\f\\n\\r\\t\\\"\\\\\\/\"", "\"\\u0041\"", "\"\\u00e9\"", "\"\\u00E9\"", "\"\\uABCD\"", "\"\\uabcd\"", "\"\\uAbCd\"",
            "\"\\u0000\"", "\"\\u001f\"", "\"\\u001F\"", "\"\\u007f\"", "\"\\u007F\"", "\"\\u0080\"", "\"\\u07ff\"", "\"\\u0800\"",
            "\"\\uffff\"", "\"\\uFFFF\"", "\"\\uFEFF\"", "\"\\u2028\\u2029\"", "\"a\\u0041b\\u0042c\"", "\"\\\\n\"", "\"\\\\\\\\\"",
            "\"\\u005C\"", "\"\\u005c\\u0022\"", "\"\\u0022\"", "[\"\\\\\",\"\\u005c\"]", "\"\\\"\\\"\\\"\"", "\"a\\\"b\"");
        S("\"\\u12\"", "\"\\u12G4\"", "\"\\uXYZW\"", "\"\\u\"", "\"\\u123\"", "\"\\u123g\"", "\"\\ug123\"", "\"\\u-123\"", "\"\\u 123\"",
            "\"\\a\"", "\"\\x41\"", "\"\\U0041\"", "\"\\'\"", "\"\\0\"", "\"\\1\"", "\"\\e\"", "\"\\N\"", "\"\\B\"", "\"\\ \"", "\"\\\"",
            "\"\\", "\"abc", "\"", "\"\\u00", "\"\\u00e9", "\"a\\", "\"\\\\\\\"", "\"\\u0G00\"", "\"\\u00\"1", "\"\\u{41}\"", "\"\\v\"",
            "\"\\\n\"", "[\"a\",\"\\q\"]", "{\"\\q\":1}", "{\"a\\u00\":1}", "\"\\uD83D\\\"", "\"\\uD83D\\u\"", "'\\u0041'");
        B("\"\\", 0xC3, 0xA9, "\"");
        B("\"\\u00", 0xC3, 0xA9, "\"");
        B("\"\\u", 0xFF, "000\"");

        // Surrogate escapes.
        S("\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"", "\"\\uD83d\\uDe00\"", "\"\\uD83D\"", "\"\\uDE00\"", "\"\\uDE00\\uD83D\"", "\"\\uD83Dx\"",
            "\"\\uD83D\\u0041\"", "\"\\uD83D\\uD83D\"", "\"\\uD83D\\n\"", "\"a\\uDBFF\\uDFFFb\"", "\"\\uD800\\uDC00\"", "\"\\ud800\"", "\"\\udfff\"",
            "\"\\uD83D\\uDE00\\uD83D\"", "\"\\uD83D\uD83D\uDE00\"", "\"\\uD83D\\\"\"", "\"\\uD83D\\uDE0\"", "\"\\uD83D\\uZE00\"",
            "[\"\\ud800\",\"\\ud800\"]", "[\"\\ud800\",\"\\udc00\"]", "{\"\\ud800\":1}", "{\"\\ud800\":1,\"\\ud800\":2}",
            "{\"\\udc00\":1,\"\\ud800\":2}", "{\"\\ud83d\\ude00\":1,\"\uD83D\uDE00\":2}", "[\"\\ud83d\\ude00\",\"\uD83D\uDE00\"]",
            "\"\\uDBFF\\uDFFF\"", "\"\\uDC00\\uDC00\"", "\"\\uD800\\uD800\\uDC00\"", "\"\\uD83D\\/\"");

        // Raw control characters and DEL, inside strings and out.
        for (var c = 0; c < 0x20; c++) B("\"a", c, "b\"");
        B("{\"a", 0x0A, "\":1}");
        B("\"", 0x00);
        S("\"\u007f\"", "\"a\u007fb\"", "[\u007f]", "\u007f", "{\"\u007f\":\"\u007f\"}", "[1,\u0000 2]", "1\u0000", "\u00001", "[\u000b1]",
            "{\"a\"\u000c:1}", "[1\u001f]");

        // Raw non-ASCII.
        S("\"é€\uD83D\uDE00\"", "\"\u2028\u2029\"", "\"\u0085\"", "\"\uFFFF\"", "\"\uFFFD\"", "\"\U0010FFFF\"", "\"\U00010000\"",
            "{\"é\":\"€\",\"\uD83D\uDE00\":[\"\uD83D\uDE00\"]}", "[\"é\",\"\\u00e9\",\"\\u00E9\"]", "{\"é\":1,\"\\u00e9\":2}", "é", "[é]");
        int[][] goods = [[0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xC2, 0x80]];
        foreach (var good in goods)
            B("\"a", good.Select(x => (byte)x).ToArray(), "b\"");

        // Invalid UTF-8: in strings, names, values, after the root.
        int[][] bad =
        [
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF], [0xFE], [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x28],
            [0xE2, 0x28, 0xA1], [0xE2, 0x82, 0x28], [0xF0, 0x28, 0x8C, 0xBC], [0xC3, 0xC3, 0xA9],
        ];
        foreach (var seq in bad)
        {
            var bytes = seq.Select(x => (byte)x).ToArray();
            B("\"a", bytes, "b\"");
            B("\"", bytes, "\"");
            B("\"\\n", bytes, "\"");
            B("\"", bytes);
            B("{\"", bytes, "\":1}");
            B("{\"a\":\"", bytes, "\",\"b\":[\"", bytes, "\"]}");
            B(bytes);
            B("[", bytes, "]");
            B("[1]", bytes);
            B(" ", bytes, "1");
        }

        // Bad UTF-8 in a string before a syntax error, or in an unclosed text: the syntax error is what is reported.
        B("[\"", 0xFF, "\",tru]");
        B("{\"a\":\"", 0xC0, 0x80, "\"");
        B("[\"", 0xED, 0xA0, 0x80, "\" 1]");
        B("{\"", 0xFF, "\" 1}");

        // Trailing and missing separators.
        S("[1,]", "{\"a\":1,}", "[,]", "[,1]", "{,}", "[1,,2]", "{\"a\":1,,\"b\":2}", "[1,]]", "{\"a\":[1,],\"b\":2}", ",", ",1", "[1],",
            "[1 2]", "[\"a\" \"b\"]", "[[] []]", "[{} {}]", "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{\"a\"}", "{\"a\":}", "{\"a\"::1}", "{:1}",
            "[1:2]", "{\"a\",1}", "{\"a\":1:2}", "{\"a\" : 1 , \"b\" : 2}", "[true false]", "[null,null null]", "{\"a\":1}{\"b\":2}",
            "{\"a\":1,\"b\"}", "[1,\n]", "{\"a\"\n:\n1\n,\n}");

        // Comments and single quotes.
        S("// c\n1", "/* c */1", "1 // c", "1 /* c */", "[1/*x*/]", "[1,//x\n2]", "{\"a\"/*x*/:1}", "1/", "/", "#1", "1#", "/**/", "//",
            "'a'", "{'a':1}", "[\"a']", "['a']", "{\"a\":'b'}");

        // Trailing garbage, several roots.
        S("1 x", "{}x", "[]]", "{}}", "\"a\"\"b\"", "\"a\" \"b\"", "1 2", "{} {}", "[] []", "null null", "truex", "1,", "1,2", "[1]\n,",
            "[1] ]", "{}[]", "1\n2", "\"a\"1", "0 0", "[]1", "{}\"\"", "1 }", "] ", "}", "]", ":", "\"a\":1", "[1]\"", "\"a\"x", "1 \u0000",
            "[]\u00a0", "{}\t\t\n x");

        // Unclosed.
        S("[", "{", "[1", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "[[[]]", "{\"a\":[}", "[}", "{]", "[{]}",
            "{\"a\":{\"b\":[1,2}}", "[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":", "[\"a", "{\"a", "[1 ", "[ ", "{ ", "[\n",
            "[{\"a\":[{\"b\":1}]}", "[[1],[2]", "{\"a\":{}", "[\"a\\\"]");

        // Keys that are not strings.
        S("{1:2}", "{a:1}", "{null:1}", "{true:1}", "{[]:1}", "{{}:1}", "{\"a\":1, 2:3}", "{-1:1}", "{\"a\":1,b:2}", "{\"a\":1,[]:2}",
            "{\"a\":1,{}:2}", "{ }", "{\"a\":1,\"a\"}");

        // Well-formed structures: duplicates, escaped names, equal-looking siblings.
        S("{}", "[]", "[[]]", "[{}]", "{\"a\":{}}", "{\"a\":[]}", "[{},[],\"\",0,true,false,null]", "{\"a\":1,\"a\":2}",
            "{\"a\":1,\"\\u0061\":2}", "{\"\\u0061\":1,\"a\":2}", "{\"\":1}", "{\"\":1,\"\":2}", "{\"a\":1,\"b\":{\"a\":3},\"a\":[1,2]}",
            "{\"a\\nb\":1}", "{\"a\\\"b\":1,\"a\\\\b\":2,\"a/b\":3,\"a\\/b\":4}", "{\"a\":1,\"b\":2,\"a\":3,\"b\":4,\"a\":5}",
            "[1.0,1,1e0,10e-1]", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]", "[{\"a\":1,\"a\":2},{\"a\":2,\"a\":1}]", "[{\"a\":1,\"a\":2},{\"a\":2}]",
            "[{\"a\":1,\"a\":1},{\"a\":1}]", "[{\"a\":1},{\"a\":1,\"a\":1}]", "[{\"a\":1,\"b\":1},{\"a\":1,\"a\":1}]", "[\"a\",\"\\u0061\"]",
            "[\"\\/\",\"/\"]", "[1,\"1\",true,[1],{\"1\":1}]", "[[1,2],[2,1],[1,2]]", "[{},{},[],[]]", "[null,null,false,false,true]",
            "{\"a\":null,\"b\":false}", "[\"\",\"\\u0000\",\"\\u0000\\u0000\"]", "{\"cells\":[{\"source\":\"a\\nb\\n\",\"outputs\":[]}],\"nbformat\":4}",
            "[{\"a\":[1,{\"b\":null}]},{\"a\":[1.0,{\"b\":null}]},{\"a\":[1,{\"b\":false}]}]", "{\"a\":{\"b\":1},\"A\":{\"b\":1}}",
            "[\"a\\u0000b\",\"a\\u0000c\"]", "{\"\\u0000\":1,\"\":2}", "[{\"x\":[]},{\"x\":{}}]", "[\"é\",\"e\\u0301\"]",
            "{\"" + new string('k', 300) + "\":1,\"" + new string('k', 299) + "\\u006b\":2}", "[\"" + new string('s', 5000) + "\"]",
            " {\"a\" : [ 1 , 2 , { \"b\" : \"c\" } ] } ");

        // Nesting at and around the limit.
        foreach (var d in new[] { 511, 512, 513 })
        {
            S(Repeat("[", d) + Repeat("]", d));
            S(Repeat("{\"a\":", d - 1) + "{}" + Repeat("}", d - 1));
            S(Repeat("{\"a\":", d) + "1" + Repeat("}", d));
            S(Repeat("[{\"a\":", d / 2) + (d % 2 == 1 ? "[]" : "0") + Repeat("}]", d / 2));
            S(Repeat("[", d));
            S(Repeat("{\"a\":", d));
            S(Repeat("[", d) + Repeat("]", d - 1));
            S(Repeat("[", d) + Repeat("]", d) + "x");
            S("[" + Repeat("[", d - 1) + Repeat("]", d - 1) + ",1]");
        }
        S(Repeat("[", 600) + Repeat("]", 600), Repeat("[", 5000), Repeat("{\"a\":", 1000) + "1" + Repeat("}", 1000));

        return [.. list];
    }

    // ------------------------------------------------------------------------------------------------ strings around vector widths

    [Fact]
    public void Escapes_controls_and_bad_bytes_at_every_offset_of_a_long_string_are_read_as_JsonDocument_does()
    {
        object[] stops = ["\\n", "\\u00e9", "\\uD83D\\uDE00", 0x01, 0x1F, "é", "\uD83D\uDE00", 0xFF, new byte[] { 0xE2, 0x82 }, "\\\"", "\\", "\"",
            "\\x", 0x7F, new byte[] { 0xED, 0xA0, 0x80 }];
        for (var p = 0; p <= 130; p++)
        {
            foreach (var stop in stops)
            {
                var prefix = new string('a', p);
                using (AssertParity(Bytes("\"", prefix, stop, new string('b', 40), "\""), thorough: false)) { }
                using (AssertParity(Bytes("\"", prefix, stop), thorough: false)) { }
                using (AssertParity(Bytes("{\"", prefix, stop, "\":[\"", prefix, stop, "\"]}"), thorough: false)) { }
            }
            using (AssertParity(Bytes("\"", new string('a', p)), thorough: false)) { }
            using (AssertParity(Bytes("[\"", new string('a', p), "\",\"x\"]"), thorough: false)) { }
            using (AssertParity(Bytes(new string(' ', p), "1", new string(' ', p)), thorough: false)) { }
            using (AssertParity(Bytes(new string(' ', p), "x"), thorough: false)) { }
            using (AssertParity(Bytes("[", new string('1', p + 1), "]"), thorough: false)) { }
        }
    }

    // ------------------------------------------------------------------------------------------------ depth limits and slices

    [Fact]
    public void Depth_limits_other_than_512_are_those_of_JsonDocument()
    {
        foreach (var max in new[] { 1, 2, 3, 5, 64 })
            for (var d = 1; d <= 6; d++)
            {
                foreach (var text in new[]
                         {
                             Repeat("[", d) + Repeat("]", d), Repeat("{\"a\":", d) + "1" + Repeat("}", d),
                             Repeat("{\"a\":", d - 1) + "[]" + Repeat("}", d - 1), Repeat("[", d) + "1" + Repeat("]", d),
                             "[" + Repeat("[", d) + Repeat("]", d) + ",[]]", Repeat("[", d),
                         })
                    using (AssertParity(Encoding.UTF8.GetBytes(text), maxDepth: max)) { }
            }
        using (AssertParity("[1]"u8.ToArray(), maxDepth: 1)) { }
        using (AssertParity("1"u8.ToArray(), maxDepth: 1)) { }
    }

    [Fact]
    public void A_slice_of_a_larger_buffer_is_read_without_looking_past_its_ends()
    {
        string[] texts = ["1", "12", "-1", "1.5", "1e5", "\"a\"", "\"a", "tru", "[1", "[1]", "{\"a\":1}", "{\"a\":1", "\"\\u00e", "\"\\", "nul", "0", "-", " "];
        foreach (var text in texts)
            foreach (var around in new[] { "0", "\"", "]", "}", "e5", "\\u0041\"", "ue", "l", "x", "1]" })
            {
                var inner = Encoding.UTF8.GetBytes(text);
                var buffer = Bytes(around, inner, around);
                var before = Encoding.UTF8.GetByteCount(around);
                using var parsed = AssertParity(new ReadOnlyMemory<byte>(buffer, before, inner.Length));
            }
    }

    [Fact]
    public void Reads_of_values_of_other_kinds_answer_no_or_throw_as_JsonElement_does()
    {
        foreach (var text in new[] { "{}", "[]", "\"a\"", "1", "true", "false", "null" })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            using var doc = JsonDocument.Parse(bytes);
            using var tape = JsonTape.Parse(bytes);
            new Walker(bytes, tape.Utf8, thorough: true, text).NumberAndStringReadsOfOtherKinds(doc.RootElement, tape.Root, "$");
        }
    }

    [Fact]
    public void A_default_TapeValue_is_undefined()
    {
        Assert.Equal(JsonValueKind.Undefined, default(TapeValue).ValueKind);
    }

    [Fact]
    public void Values_of_one_document_compare_with_values_of_another_as_JsonElement_DeepEquals_does()
    {
        string[] texts =
        [
            "1", "1.0", "10e-1", "-0", "0", "\"a\"", "\"\\u0061\"", "\"b\"", "null", "true", "false", "[]", "{}", "[1,2]", "[2,1]", "[1.0,2e0]",
            "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", "{\"\\u0061\":1,\"b\":2.0}", "{\"a\":1,\"a\":2}", "{\"a\":2,\"a\":1}", "{\"a\":1}",
            "{\"a\":1,\"b\":2,\"a\":1}", "[{\"a\":[1]}]", "[{\"a\":[1.00]}]", "\"\\ud800\"", "1e400", "2e400",
        ];
        var docs = texts.Select(t => JsonDocument.Parse(t, new JsonDocumentOptions { MaxDepth = 512 })).ToList();
        var tapes = texts.Select(t => JsonTape.Parse(Encoding.UTF8.GetBytes(t))).ToList();
        try
        {
            for (var i = 0; i < texts.Length; i++)
                for (var j = 0; j < texts.Length; j++)
                {
                    var (a, b) = (i, j);
                    CheckDeep(docs[a].RootElement, docs[b].RootElement, tapes[a].Root, tapes[b].Root, () => $"DeepEquals({texts[a]}, {texts[b]})");
                }
        }
        finally
        {
            docs.ForEach(d => d.Dispose());
            tapes.ForEach(t => t.Dispose());
        }
    }

    // ------------------------------------------------------------------------------------------------ 3. seeded fuzz

    private abstract record Node;
    private sealed record Literal(string Text) : Node;
    private sealed record Num(string Text) : Node;
    private sealed record Str(string Value) : Node;
    private sealed record Arr(List<Node> Items) : Node;
    private sealed record Obj(List<(Str Name, Node Value)> Props) : Node;

    private static readonly string[] Pieces =
    [
        "a", "z", "0", " ", "abc", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\0", "\u0001", "\u001f", "\u007f", "é", "€", "\u2028",
        "\uFEFF", "\uFFFF", "\uD83D\uDE00", "\U0010FFFF", "\U00010000", "\u0085", "\u00a0",
    ];
    private static readonly string[] LoneSurrogates = ["\ud800", "\udfff", "\udc00\ud800", "\udbff"];
    private static readonly string[] NamePool = ["a", "b", "id", "", "é", "\uD83D\uDE00", "a\nb", "\"", "source", "outputs", "A"];
    private static readonly string[] NumberPool =
    [
        "0", "-0", "0.0", "-0.0", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1e308", "1e309", "-1e400",
        "5e-324", "1e-400", "1.7976931348623157e308", "0.1", "1E-3", "1e+5", "4294967296",
    ];

    private static Node Generate(Random rng, int depth)
    {
        var k = rng.Next(depth >= 5 ? 4 : 7);
        switch (k)
        {
            case 0: return new Literal(rng.Next(3) switch { 0 => "true", 1 => "false", _ => "null" });
            case 1: return new Num(RandomNumber(rng));
            case 2: case 3: return new Str(RandomText(rng));
            case 4:
            {
                var items = new List<Node>();
                for (var n = rng.Next(7); items.Count < n;)
                    items.Add(items.Count > 0 && rng.Next(10) < 3 ? items[rng.Next(items.Count)] : Generate(rng, depth + 1));
                return new Arr(items);
            }
            default:
            {
                var props = new List<(Str, Node)>();
                for (var n = rng.Next(7); props.Count < n;)
                {
                    var name = props.Count > 0 && rng.Next(4) == 0 ? props[rng.Next(props.Count)].Item1
                        : new Str(rng.Next(2) == 0 ? NamePool[rng.Next(NamePool.Length)] : RandomText(rng));
                    var value = props.Count > 0 && rng.Next(6) == 0 ? props[rng.Next(props.Count)].Item2 : Generate(rng, depth + 1);
                    props.Add((name, value));
                }
                return new Obj(props);
            }
        }
    }

    private static string RandomText(Random rng)
    {
        var sb = new StringBuilder();
        for (var n = rng.Next(0, 9); n > 0; n--)
        {
            var r = rng.Next(100);
            sb.Append(r < 3 ? LoneSurrogates[rng.Next(LoneSurrogates.Length)] : r < 10 ? new string('x', rng.Next(10, 90)) : Pieces[rng.Next(Pieces.Length)]);
        }
        return sb.ToString();
    }

    private static string RandomNumber(Random rng)
    {
        if (rng.Next(3) == 0) return NumberPool[rng.Next(NumberPool.Length)];
        var sb = new StringBuilder();
        if (rng.Next(3) == 0) sb.Append('-');
        if (rng.Next(6) == 0) sb.Append('0');
        else
        {
            sb.Append((char)('1' + rng.Next(9)));
            for (var n = rng.Next(rng.Next(2) == 0 ? 3 : 25); n > 0; n--) sb.Append((char)('0' + rng.Next(10)));
        }
        if (rng.Next(4) == 0)
        {
            sb.Append('.');
            for (var n = rng.Next(1, 12); n > 0; n--) sb.Append((char)('0' + rng.Next(10)));
        }
        if (rng.Next(5) == 0)
        {
            sb.Append(rng.Next(2) == 0 ? 'e' : 'E');
            if (rng.Next(2) == 0) sb.Append(rng.Next(2) == 0 ? '+' : '-');
            for (var n = rng.Next(1, 4); n > 0; n--) sb.Append((char)('0' + rng.Next(10)));
        }
        return sb.ToString();
    }

    /// <summary>Writes a node as JSON text, escaping each character at random, numbers in random equal spellings.</summary>
    private sealed class Renderer(Random rng, bool spaced)
    {
        private readonly StringBuilder _sb = new();

        public static byte[] Render(Node node, Random rng, bool spaced)
        {
            var r = new Renderer(rng, spaced);
            r.Space();
            r.Write(node);
            r.Space();
            return Encoding.UTF8.GetBytes(r._sb.ToString());   // lone surrogates are always escaped, so this is lossless
        }

        private void Space()
        {
            if (!spaced || rng.Next(3) != 0) return;
            for (var n = rng.Next(1, 4); n > 0; n--) _sb.Append(" \t\n\r"[rng.Next(4)]);
        }

        private void Write(Node node)
        {
            switch (node)
            {
                case Literal l: _sb.Append(l.Text); break;
                case Num n: _sb.Append(Spell(n.Text)); break;
                case Str s: String(s.Value); break;
                case Arr a:
                    _sb.Append('[');
                    for (var i = 0; i < a.Items.Count; i++)
                    {
                        if (i > 0) _sb.Append(',');
                        Space();
                        Write(a.Items[i]);
                        Space();
                    }
                    if (a.Items.Count == 0) Space();
                    _sb.Append(']');
                    break;
                case Obj o:
                    _sb.Append('{');
                    var props = o.Props;
                    if (props.Select(p => p.Name.Value).Distinct().Count() == props.Count && rng.Next(3) == 0)
                        props = [.. props.OrderBy(_ => rng.Next())];
                    for (var i = 0; i < props.Count; i++)
                    {
                        if (i > 0) _sb.Append(',');
                        Space();
                        String(props[i].Name.Value);
                        Space();
                        _sb.Append(':');
                        Space();
                        Write(props[i].Value);
                        Space();
                    }
                    if (props.Count == 0) Space();
                    _sb.Append('}');
                    break;
            }
        }

        private string Spell(string number)
        {
            if (rng.Next(2) == 0 || number.Contains('e') || number.Contains('E')) return number;
            var integerZero = number.TrimStart('-').StartsWith('0');
            return rng.Next(4) switch
            {
                0 => number + (number.Contains('.') ? "00" : ".0"),
                1 => number + "e0",
                2 => number + "E+000",
                _ => number.Contains('.') || integerZero ? number + "e-0" : number + "0e-1",
            };
        }

        private void String(string s)
        {
            _sb.Append('"');
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    if (rng.Next(3) == 0) { U(c); U(s[i + 1]); }
                    else _sb.Append(c).Append(s[i + 1]);
                    i++;
                    continue;
                }
                if (char.IsSurrogate(c) || c < ' ' && rng.Next(3) == 0 || rng.Next(10) == 0) { U(c); continue; }
                switch (c)
                {
                    case '"': _sb.Append("\\\""); break;
                    case '\\': _sb.Append("\\\\"); break;
                    case '/': _sb.Append(rng.Next(2) == 0 ? "\\/" : "/"); break;
                    case '\b': _sb.Append("\\b"); break;
                    case '\f': _sb.Append("\\f"); break;
                    case '\n': _sb.Append("\\n"); break;
                    case '\r': _sb.Append("\\r"); break;
                    case '\t': _sb.Append("\\t"); break;
                    default:
                        if (c < ' ') U(c);
                        else _sb.Append(c);
                        break;
                }
            }
            _sb.Append('"');
        }

        private void U(char c)
        {
            _sb.Append("\\u");
            foreach (var h in ((int)c).ToString("x4")) _sb.Append(rng.Next(2) == 0 ? char.ToUpperInvariant(h) : h);
        }
    }

    private static readonly byte[] Interesting =
        "{}[],:\"\\01-+.eEtnfu \n"u8.ToArray().Concat(new byte[] { 0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF }).ToArray();

    private static byte[] Mutate(byte[] source, Random rng)
    {
        var bytes = source.ToList();
        var at = rng.Next(bytes.Count + 1);
        var b = rng.Next(4) == 0 ? (byte)rng.Next(256) : Interesting[rng.Next(Interesting.Length)];
        switch (rng.Next(20))
        {
            case < 10 when at < bytes.Count: bytes[at] = b; break;
            case < 14: bytes.Insert(at, b); break;
            case < 18 when at < bytes.Count: bytes.RemoveAt(at); break;
            case 18 when at + 1 < bytes.Count: (bytes[at], bytes[at + 1]) = (bytes[at + 1], bytes[at]); break;
            default: bytes.RemoveRange(at, bytes.Count - at); break;
        }
        return [.. bytes];
    }

    /// <summary>Sometimes the same bytes in the middle of a larger buffer whose other bytes would change the parse.</summary>
    private static ReadOnlyMemory<byte> MaybeSlice(byte[] bytes, Random rng)
    {
        if (rng.Next(3) != 0) return bytes;
        var (before, after) = (rng.Next(1, 8), rng.Next(1, 8));
        var buffer = new byte[before + bytes.Length + after];
        for (var i = 0; i < buffer.Length; i++) buffer[i] = "1\"]}e \\x"u8[rng.Next(8)];
        bytes.CopyTo(buffer, before);
        return new ReadOnlyMemory<byte>(buffer, before, bytes.Length);
    }

    [Fact]
    public void Random_documents_and_byte_mutations_of_them_parse_and_read_as_JsonDocument_does()
    {
        var rng = new Random(20250611);
        var accepted = 0;
        var rejected = 0;
        for (var iteration = 0; iteration < 1500; iteration++)
        {
            var root = Generate(rng, 0);
            var compact = Renderer.Render(root, rng, spaced: false);
            var spaced = Renderer.Render(root, rng, spaced: true);
            using var a = AssertParity(MaybeSlice(compact, rng), thorough: iteration % 10 == 0);
            using var b = AssertParity(MaybeSlice(spaced, rng), thorough: false, walk: Walk.Structure);
            Assert.True(a != null && b != null, $"the generator wrote invalid JSON: {Show(compact)}");
            CheckDeep(a.Doc.RootElement, b.Doc.RootElement, a.Tape.Root, b.Tape.Root, () => $"DeepEquals({Show(compact)}, {Show(spaced)})");

            for (var m = 0; m < 2; m++)
            {
                var mutant = Mutate(rng.Next(2) == 0 ? compact : spaced, rng);
                if (rng.Next(4) == 0) mutant = Mutate(mutant, rng);
                using var c = AssertParity(MaybeSlice(mutant, rng), thorough: false);
                if (c == null) { rejected++; continue; }
                accepted++;
                CheckDeep(a.Doc.RootElement, c.Doc.RootElement, a.Tape.Root, c.Tape.Root, () => $"DeepEquals({Show(compact)}, {Show(mutant)})");
            }
        }
        Assert.InRange(accepted, 300, 1500);   // the mutants exercise both paths (about 600 and 2400)
        Assert.InRange(rejected, 1500, 2700);
    }

    // ------------------------------------------------------------------------------------------------ 4. a large document

    private static void AppendOutputLines(StringBuilder sb, Random rng, int lines)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;()[]{}=+-*<>_#:'";
        for (var l = 0; l < lines; l++)
        {
            var length = rng.Next(80, 120);
            for (var i = 0; i < length; i++)
            {
                var r = rng.Next(200);
                sb.Append(r switch
                {
                    0 => "\\\"",
                    1 => "\\\\",
                    2 => "\\t",
                    3 => "\\u001b[0;31m",
                    4 => "é",
                    5 => "\uD83D\uDE00",
                    6 => "\\u00e9",
                    _ => Alphabet[r % Alphabet.Length].ToString(),
                });
            }
            sb.Append("\\n");
        }
    }

    [Fact]
    public void A_notebook_of_several_megabytes_with_escaped_output_lines_reads_as_JsonDocument_does()
    {
        var rng = new Random(42);
        var sb = new StringBuilder("{\"cells\":[");
        for (var i = 0; i < 3000; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append("{\"cell_type\":\"code\",\"execution_count\":").Append(i).Append(",\"id\":\"c").Append(i)
                .Append("\",\"metadata\":{\"tags\":[]},\"source\":\"");
            AppendOutputLines(sb, rng, 3);
            sb.Append("\",\"outputs\":[{\"output_type\":\"stream\",\"name\":\"stdout\",\"text\":\"");
            AppendOutputLines(sb, rng, 10);
            sb.Append("\"},{\"output_type\":\"execute_result\",\"data\":{\"text/plain\":[\"");
            AppendOutputLines(sb, rng, 1);
            sb.Append("\"]},\"metadata\":{},\"execution_count\":").Append(i).Append("}]}");
        }
        sb.Append("],\"metadata\":{\"kernelspec\":{\"name\":\"python3\"}},\"nbformat\":4,\"nbformat_minor\":5}");
        var compact = Encoding.UTF8.GetBytes(sb.ToString());
        Assert.InRange(compact.Length, 2_000_000, 20_000_000);

        using var a = AssertParity(compact, thorough: false);
        Assert.NotNull(a);

        // The same notebook indented and with non-ASCII escaped, as nbformat and other writers save it.
        var indented = JsonSerializer.SerializeToUtf8Bytes(a.Doc.RootElement, new JsonSerializerOptions { WriteIndented = true });
        using var b = AssertParity(indented, thorough: false);
        Assert.NotNull(b);
        Assert.True(TapeValue.DeepEquals(a.Tape.Root, b.Tape.Root));

        // One changed byte deep inside is seen by both.
        var changed = (byte[])compact.Clone();
        var at = Array.LastIndexOf(changed, (byte)'q');
        changed[at] = (byte)'Q';
        using var c = AssertParity(changed, walk: Walk.None);
        Assert.NotNull(c);
        Assert.False(JsonElement.DeepEquals(a.Doc.RootElement, c.Doc.RootElement));
        Assert.False(TapeValue.DeepEquals(a.Tape.Root, c.Tape.Root));

        // One long string of many escaped lines.
        var line = new StringBuilder("[\"");
        AppendOutputLines(line, rng, 20_000);
        using var d = AssertParity(Encoding.UTF8.GetBytes(line.Append("\"]").ToString()), thorough: false);
        Assert.NotNull(d);
    }
}
