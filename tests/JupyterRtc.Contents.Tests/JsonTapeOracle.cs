using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Contents.Tests;

/// <summary>The oracle side of <see cref="JsonTapeTests"/>: parses with both, walks both, compares (see there).</summary>
public sealed partial class JsonTapeTests
{
    // ------------------------------------------------------------------------------------------------ the oracle

    private static readonly JsonWriterOptions Writing = new() { MaxDepth = 2048 };
    private static readonly JsonDocumentOptions Reparsing = new() { MaxDepth = 2048 };

    /// <summary>An input accepted by both parsers; disposes both.</summary>
    private sealed class Parsed(JsonDocument doc, JsonTape tape) : IDisposable
    {
        public JsonDocument Doc { get; } = doc;
        public JsonTape Tape { get; } = tape;
        public void Dispose() { Doc.Dispose(); Tape.Dispose(); }
    }

    /// <summary>
    /// Both reject <paramref name="input"/> with the same exception (type, message, position), and null is returned;
    /// or both accept it, every value reads the same, and both parses are returned.
    /// <paramref name="thorough"/> adds the calls that throw (wrong kinds, missing names), slow on exceptions, and more
    /// probes of names and strings; <paramref name="walk"/> says how much of an accepted input is compared.
    /// </summary>
    private static Parsed? AssertParity(ReadOnlyMemory<byte> input, bool thorough = true, int maxDepth = 512, Walk walk = Walk.Full)
    {
        JsonDocument? doc = null;
        JsonException? expected = null;
        try { doc = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = maxDepth }); }
        catch (JsonException e) { expected = e; }

        JsonTape? tape = null;
        Exception? actual = null;
        try { tape = maxDepth == 512 ? JsonTape.Parse(input) : JsonTape.Parse(input, maxDepth); }
        catch (Exception e) { actual = e; }

        var shown = Show(input.Span);
        if (expected != null)
        {
            if (tape != null)
            {
                var kind = tape.Root.ValueKind;
                tape.Dispose();
                Fail($"JsonDocument rejects {shown} ({expected.Message}) but JsonTape accepts it (root {kind})");
            }
            if (actual is not JsonException got)
                throw new Xunit.Sdk.XunitException($"JsonDocument rejects {shown} with {expected.GetType().Name}: {expected.Message}; JsonTape throws {actual!.GetType().Name}: {actual.Message}", actual);
            if (got.GetType() != expected.GetType() || got.Message != expected.Message
                || got.LineNumber != expected.LineNumber || got.BytePositionInLine != expected.BytePositionInLine)
                Fail($"{shown}: JsonDocument throws {expected.GetType().Name}: {expected.Message}; JsonTape throws {got.GetType().Name}: {got.Message}");
            return null;
        }
        var validUtf8 = System.Text.Unicode.Utf8.IsValid(input.Span);
        if (actual != null)
        {
            doc!.Dispose();
            // The one deliberate difference: JsonDocument takes any bytes inside a string, JsonTape refuses invalid UTF-8
            // (Jupyter cannot read such a notebook).
            if (!validUtf8 && actual is JsonException && actual.Message.StartsWith("The JSON text is not valid UTF-8: invalid byte at offset ", StringComparison.Ordinal))
                return null;
            throw new Xunit.Sdk.XunitException($"JsonDocument accepts {shown} but JsonTape throws {actual.GetType().Name}: {actual.Message}", actual);
        }
        if (!validUtf8)
        {
            tape!.Dispose();
            doc!.Dispose();
            Fail($"JsonTape accepts {shown}, which is not valid UTF-8");
        }
        var parsed = new Parsed(doc!, tape!);
        try
        {
            if (!parsed.Tape.Utf8.Span.SequenceEqual(input.Span)) Fail($"{shown}: JsonTape.Utf8 is not the input");
            var walker = new Walker(input, parsed.Tape.Utf8, thorough, shown);
            if (walk == Walk.Full) walker.Value(parsed.Doc.RootElement, parsed.Tape.Root, "$");
            else if (walk == Walk.Structure) walker.Structure(parsed.Doc.RootElement, parsed.Tape.Root, "$");
        }
        catch
        {
            parsed.Dispose();
            throw;
        }
        return parsed;
    }

    /// <summary>A failure message whose parts are only evaluated when the check fails (the walk makes millions of checks).</summary>
    [InterpolatedStringHandler]
    private ref struct Lazy
    {
        private DefaultInterpolatedStringHandler _text;
        private readonly bool _wanted;

        public Lazy(int literalLength, int formattedCount, bool ok, out bool wanted)
        {
            _wanted = wanted = !ok;
            _text = wanted ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public Lazy(int literalLength, int formattedCount, Outcome expected, Outcome actual, out bool wanted)
            : this(literalLength, formattedCount, expected.Equals(actual), out wanted) { }

        public void AppendLiteral(string s) => _text.AppendLiteral(s);
        public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);
        public string Text() => _wanted ? _text.ToStringAndClear() : "";
    }

    /// <summary>How much of an accepted input is compared: everything, kinds and offsets and strings, or nothing.</summary>
    private enum Walk { Full, Structure, None }

    /// <summary>A call's result, or the type of the exception it threw.</summary>
    private readonly record struct Outcome(object? Value, string? Threw)
    {
        public override string ToString() => Threw != null ? $"throws {Threw}" : Value is string s ? $"\"{Escape(s)}\"" : Value?.ToString() ?? "null";
    }

    private static Outcome Try<T>(Func<T> call)
    {
        try { return new Outcome(call(), null); }
        catch (Exception e) { return new Outcome(null, e.GetType().Name); }
    }

    /// <summary>
    /// Values up to this size (and the root) are also read whole: raw text, DeepEquals with itself, written. Outside
    /// thorough walks only the root and its children are, to keep the fuzz fast (a root read whole covers its insides).
    /// </summary>
    private const int WholeValueChecksUpTo = 1 << 16;

    /// <summary>Walks a JsonElement and a TapeValue of the same input side by side.</summary>
    private sealed class Walker(ReadOnlyMemory<byte> docUtf8, ReadOnlyMemory<byte> tapeUtf8, bool thorough, string shown)
    {
        private void Check([DoesNotReturnIf(false)] bool ok, string path, string what)
        {
            if (!ok) Fail($"{what} at {path} in {shown}");
        }

        private void Check([DoesNotReturnIf(false)] bool ok, string path, [InterpolatedStringHandlerArgument("ok")] ref Lazy what)
        {
            if (!ok) Fail($"{what.Text()} at {path} in {shown}");
        }

        private void Same(Outcome expected, Outcome actual, string path, string what)
        {
            if (!expected.Equals(actual)) Fail($"{what}: JsonElement {expected}, JsonTape {actual} at {path} in {shown}");
        }

        private void Same(Outcome expected, Outcome actual, string path, [InterpolatedStringHandlerArgument("expected", "actual")] ref Lazy what)
        {
            if (!expected.Equals(actual)) Fail($"{what.Text()}: JsonElement {expected}, JsonTape {actual} at {path} in {shown}");
        }

        /// <summary>Same, but relaxed as <see cref="Relaxed"/> says where the name or string cannot be unescaped.</summary>
        private void SameOrUnreadable(bool unreadable, Outcome expected, Outcome actual, string path,
            [InterpolatedStringHandlerArgument("expected", "actual")] ref Lazy what)
        {
            if (!expected.Equals(actual) && !Relaxed(unreadable, expected, actual))
                Fail($"{what.Text()}: JsonElement {expected}, JsonTape {actual} at {path} in {shown}");
        }

        private int DocOffset(ReadOnlySpan<byte> part) => docUtf8.Span.Overlaps(part, out var offset) ? offset : -1;
        private int TapeOffset(ReadOnlySpan<byte> part) => tapeUtf8.Span.Overlaps(part, out var offset) ? offset : -1;

        public void Value(JsonElement e, TapeValue t, string path, int level = 0)
        {
            Check(e.ValueKind == t.ValueKind, path, $"ValueKind: JsonElement {e.ValueKind}, JsonTape {t.ValueKind}");
            var raw = JsonMarshal.GetRawUtf8Value(e);
            Check(raw.SequenceEqual(t.Raw), path, $"Raw: JsonElement {Show(raw)}, JsonTape {Show(t.Raw)}");
            Check(DocOffset(raw) == TapeOffset(t.Raw), path, $"Raw offset: JsonElement {DocOffset(raw)}, JsonTape {TapeOffset(t.Raw)}");
            var whole = level == 0 || raw.Length <= WholeValueChecksUpTo && (thorough || level <= 1);
            if (whole) Same(Try(e.GetRawText), Try(t.GetRawText), path, "GetRawText");

            switch (e.ValueKind)
            {
                case JsonValueKind.Object: Object(e, t, path, level); break;
                case JsonValueKind.Array: Array(e, t, path, level); break;
                case JsonValueKind.String: String(e, t, path); break;
                case JsonValueKind.Number: Number(e, t, path); break;
                case JsonValueKind.Null: Same(Try(e.GetString), Try(t.GetString), path, "GetString"); break;
            }
            if (thorough) WrongKinds(e, t, path);

            if (!whole) return;
            CheckDeep(e, e, t, t, () => $"DeepEquals with itself at {path} in {shown}");
            WriteTo(e, t, path);
        }

        /// <summary>The cheap part of <see cref="Value"/>: kinds, raw bytes and offsets, names, lengths, strings.</summary>
        public void Structure(JsonElement e, TapeValue t, string path)
        {
            Check(e.ValueKind == t.ValueKind, path, $"ValueKind: JsonElement {e.ValueKind}, JsonTape {t.ValueKind}");
            var raw = JsonMarshal.GetRawUtf8Value(e);
            Check(raw.Length == t.Raw.Length && DocOffset(raw) == TapeOffset(t.Raw), path,
                $"Raw: JsonElement {Show(raw)} at {DocOffset(raw)}, JsonTape {Show(t.Raw)} at {TapeOffset(t.Raw)}");
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    var tps = t.EnumerateObject();
                    var i = 0;
                    foreach (var ep in e.EnumerateObject())
                    {
                        Check(tps.MoveNext(), path, $"JsonTape has fewer properties");
                        var tp = tps.Current;
                        var rawName = JsonMarshal.GetRawUtf8PropertyName(ep);
                        Check(rawName.Length == tp.RawName.Length && DocOffset(rawName) == TapeOffset(tp.RawName), path,
                            $"RawName: JsonElement {Show(rawName)}, JsonTape {Show(tp.RawName)}");
                        Same(Try(() => ep.Name), Try(() => tp.Name), path, $"Name of property {i}");
                        Structure(ep.Value, tp.Value, $"{path}.<{i++}>");
                    }
                    Check(!tps.MoveNext(), path, $"JsonTape has more properties");
                    break;
                case JsonValueKind.Array:
                    Same(Try(e.GetArrayLength), Try(t.GetArrayLength), path, "GetArrayLength");
                    var items = t.EnumerateArray();
                    var j = 0;
                    foreach (var item in e.EnumerateArray())
                    {
                        Check(items.MoveNext(), path, $"JsonTape has fewer items");
                        Structure(item, items.Current, $"{path}[{j++}]");
                    }
                    Check(!items.MoveNext(), path, $"JsonTape has more items");
                    break;
                case JsonValueKind.String:
                    Same(Try(e.GetString), Try(t.GetString), path, "GetString");
                    break;
            }
        }

        private void Object(JsonElement e, TapeValue t, string path, int level)
        {
            var eps = e.EnumerateObject().ToList();
            var tps = new List<TapeProperty>();
            foreach (var p in t.EnumerateObject()) tps.Add(p);
            Check(eps.Count == tps.Count, path, $"property count: JsonElement {eps.Count}, JsonTape {tps.Count}");

            for (var i = 0; i < eps.Count; i++)
            {
                var ep = eps[i];
                var tp = tps[i];
                var at = $"{path}.<{i}>";
                var rawName = JsonMarshal.GetRawUtf8PropertyName(ep);
                Check(rawName.SequenceEqual(tp.RawName), at, $"RawName: JsonElement {Show(rawName)}, JsonTape {Show(tp.RawName)}");
                Check(DocOffset(rawName) == TapeOffset(tp.RawName) || rawName.IsEmpty && tp.RawName.IsEmpty, at,
                    $"RawName offset: JsonElement {DocOffset(rawName)}, JsonTape {TapeOffset(tp.RawName)}");
                Check(tp.NameIsEscaped == rawName.Contains((byte)'\\'), at, $"NameIsEscaped {tp.NameIsEscaped} for {Show(rawName)}");
                Same(Try(() => ep.Name), Try(() => tp.Name), at, "Name");

                var unreadable = Unescape(Quoted(rawName)) == null;
                var probes = NameProbes(eps, i, thorough);
                foreach (var s in probes.Where(WellFormed))
                    SameOrUnreadable(unreadable, Try(() => ep.NameEquals(s)), Try(() => tp.NameEquals(s)), at, $"NameEquals(\"{Escape(s)}\")");
                foreach (var b in ByteProbes(thorough ? probes : [], Quoted(rawName)))
                    SameOrUnreadable(unreadable, Try(() => ep.NameEquals(b.AsSpan())), Try(() => tp.NameEquals(b.AsSpan())), at, $"NameEquals(utf8 {Show(b)})");

                Value(ep.Value, tp.Value, at, level + 1);
                if (JsonMarshal.GetRawUtf8Value(ep.Value).Length <= WholeValueChecksUpTo && (thorough || level == 0)) PropertyWriteTo(ep, tp, at);
            }

            // Every name (decoded, and as its raw text), and names that are not there.
            var keys = new List<string> { "\u0001missing" };
            var utf8Keys = new List<byte[]> { "\u0001missing"u8.ToArray() };
            if (thorough)
            {
                keys.AddRange(["", "A"]);
                utf8Keys.AddRange([System.Array.Empty<byte>(), [0xFF]]);
            }
            var anyUnreadable = false;
            foreach (var ep in eps)
            {
                var rawName = JsonMarshal.GetRawUtf8PropertyName(ep);
                var unescaped = Unescape(Quoted(rawName));
                anyUnreadable |= unescaped == null;
                keys.Add(Tolerant(Quoted(rawName)));
                if (unescaped != null) utf8Keys.Add(unescaped);
                if (thorough || rawName.Contains((byte)'\\'))
                {
                    keys.Add(Encoding.UTF8.GetString(rawName));
                    utf8Keys.Add(rawName.ToArray());
                }
            }
            foreach (var key in keys.Distinct().Where(WellFormed))
            {
                var found = Try(() => e.TryGetProperty(key, out var v) ? DocOffset(JsonMarshal.GetRawUtf8Value(v)) : -1);
                SameOrUnreadable(anyUnreadable, found, Try(() => t.TryGetProperty(key, out var v) ? TapeOffset(v.Raw) : -1), path,
                    $"offset of TryGetProperty(\"{Escape(key)}\")");
                if (thorough || found.Value is int and >= 0)
                    SameOrUnreadable(anyUnreadable, Try(() => DocOffset(JsonMarshal.GetRawUtf8Value(e.GetProperty(key)))), Try(() => TapeOffset(t.GetProperty(key).Raw)),
                        path, $"offset of GetProperty(\"{Escape(key)}\")");
            }
            foreach (var key in utf8Keys)
                SameOrUnreadable(anyUnreadable, Try(() => e.TryGetProperty(key.AsSpan(), out var v) ? DocOffset(JsonMarshal.GetRawUtf8Value(v)) : -1),
                    Try(() => t.TryGetProperty(key.AsSpan(), out var v) ? TapeOffset(v.Raw) : -1), path, $"offset of TryGetProperty(utf8 {Show(key)})");

            Siblings(eps.Select(p => p.Value).ToList(), tps.Select(p => p.Value).ToList(), path);
        }

        /// <summary>The name itself, near misses, its raw text, other names of the object (fewer outside thorough walks).</summary>
        private static List<string> NameProbes(List<JsonProperty> eps, int i, bool many)
        {
            var rawName = JsonMarshal.GetRawUtf8PropertyName(eps[i]);
            var tolerant = Tolerant(Quoted(rawName));
            var list = new List<string> { tolerant, tolerant + "x" };
            if (i + 1 < eps.Count) list.Add(Tolerant(Quoted(JsonMarshal.GetRawUtf8PropertyName(eps[i + 1]))));
            if (!many) return list;
            list.AddRange([Encoding.UTF8.GetString(rawName), ""]);
            if (tolerant.Length > 0) list.Add(tolerant[..^1]);
            for (var j = 0; j < eps.Count && j < 4; j++)
                if (j != i) list.Add(Tolerant(Quoted(JsonMarshal.GetRawUtf8PropertyName(eps[j]))));
            return list;
        }

        private void Array(JsonElement e, TapeValue t, string path, int level)
        {
            Same(Try(e.GetArrayLength), Try(t.GetArrayLength), path, "GetArrayLength");
            var es = e.EnumerateArray().ToList();
            var ts = new List<TapeValue>();
            foreach (var item in t.EnumerateArray()) ts.Add(item);
            Check(es.Count == ts.Count, path, $"items enumerated: JsonElement {es.Count}, JsonTape {ts.Count}");
            for (var i = 0; i < es.Count; i++)
            {
                // In a long array (the cells of a big notebook) every item is read in structure, a sample in full.
                if (es.Count <= 64 || i < 8 || i % 97 == 0 || i == es.Count - 1) Value(es[i], ts[i], $"{path}[{i}]", level + 1);
                else Structure(es[i], ts[i], $"{path}[{i}]");
            }
            Siblings(es, ts, path);
        }

        /// <summary>DeepEquals of every pair among the first six children (both ways round if thorough), and of each child with the next.</summary>
        private void Siblings(List<JsonElement> es, List<TapeValue> ts, string path)
        {
            for (var i = 0; i < es.Count; i++)
                for (var j = thorough ? 0 : i + 1; j < es.Count; j++)
                {
                    if (i == j || !(i < 6 && j < 6 || j == i + 1)) continue;
                    var (a, b) = (i, j);
                    CheckDeep(es[a], es[b], ts[a], ts[b], () => $"DeepEquals(child {a}, child {b}) at {path} in {shown}");
                }
        }

        private void String(JsonElement e, TapeValue t, string path)
        {
            Same(Try(e.GetString), Try(t.GetString), path, "GetString");
            var raw = JsonMarshal.GetRawUtf8Value(e);
            var many = thorough && raw.Length <= 256;
            var probes = StringProbes(e, raw, many).Distinct().ToList();
            var unreadable = Unescape(raw) == null;
            foreach (var s in probes.Where(WellFormed))
                SameOrUnreadable(unreadable, Try(() => e.ValueEquals(s)), Try(() => t.ValueEquals(s)), path, $"ValueEquals(\"{Escape(s)}\")");
            foreach (var b in ByteProbes(many ? probes : [], raw))
                SameOrUnreadable(unreadable, Try(() => e.ValueEquals(b.AsSpan())), Try(() => t.ValueEquals(b.AsSpan())), path, $"ValueEquals(utf8 {Show(b)})");
        }

        /// <summary>The value itself, near misses, its raw text (fewer outside thorough walks and for long strings).</summary>
        private static IEnumerable<string> StringProbes(JsonElement e, ReadOnlySpan<byte> raw, bool many)
        {
            var tolerant = Tolerant(raw);
            var list = new List<string> { tolerant, tolerant + "x" };
            if (tolerant.Length > 0) list.Add(tolerant[..^1]);
            if (raw.Contains((byte)'\\')) list.Add(Encoding.UTF8.GetString(raw[1..^1]));
            if (!many) return list;
            list.AddRange(["x" + tolerant, "", "a"]);
            if (Try(e.GetString).Value is string s) list.Add(s);
            return list;
        }

        /// <summary>UTF-8 probes: each string's bytes, the unescaped value (if it has one), the raw text between quotes.</summary>
        private static IEnumerable<byte[]> ByteProbes(IEnumerable<string> strings, ReadOnlySpan<byte> quoted)
        {
            var list = strings.Select(s => Encoding.UTF8.GetBytes(s)).ToList();
            if (Unescape(quoted) is { } unescaped)
            {
                list.Add(unescaped);
                if (unescaped.Length > 0) list.Add(unescaped[..^1]);
            }
            list.Add(quoted[1..^1].ToArray());
            return list;
        }

        private void Number(JsonElement e, TapeValue t, string path)
        {
            Same(Try(() => e.TryGetInt64(out var v) ? v : (long?)null), Try(() => t.TryGetInt64(out var v) ? v : (long?)null), path, "TryGetInt64");
            Same(Try(() => e.TryGetInt32(out var v) ? v : (int?)null), Try(() => t.TryGetInt32(out var v) ? v : (int?)null), path, "TryGetInt32");
            Same(Try(() => BitConverter.DoubleToInt64Bits(e.GetDouble())), Try(() => BitConverter.DoubleToInt64Bits(t.GetDouble())), path, "bits of GetDouble");
            if (thorough || e.TryGetInt64(out _)) Same(Try(e.GetInt64), Try(t.GetInt64), path, "GetInt64");
        }

        /// <summary>The calls that do not apply to the value's kind throw as JsonElement's do.</summary>
        private void WrongKinds(JsonElement e, TapeValue t, string path)
        {
            var kind = e.ValueKind;
            if (kind != JsonValueKind.Array)
            {
                Same(Try(e.GetArrayLength), Try(t.GetArrayLength), path, "GetArrayLength");
                Same(Try(() => e.EnumerateArray().Any()), Try(() => { foreach (var _ in t.EnumerateArray()) return true; return false; }), path, "EnumerateArray");
            }
            if (kind != JsonValueKind.Object)
            {
                Same(Try(() => e.TryGetProperty("a", out _)), Try(() => t.TryGetProperty("a", out _)), path, "TryGetProperty(\"a\")");
                Same(Try(() => e.TryGetProperty("a"u8, out _)), Try(() => t.TryGetProperty("a"u8, out _)), path, "TryGetProperty(utf8 a)");
                Same(Try(() => e.GetProperty("a").ValueKind), Try(() => t.GetProperty("a").ValueKind), path, "GetProperty(\"a\")");
                Same(Try(() => e.EnumerateObject().Any()), Try(() => { foreach (var _ in t.EnumerateObject()) return true; return false; }), path, "EnumerateObject");
            }
            if (kind != JsonValueKind.String && kind != JsonValueKind.Null) Same(Try(e.GetString), Try(t.GetString), path, "GetString");
        }

        /// <summary>
        /// Reads of a string or a number from a value of another kind: JsonElement throws InvalidOperationException
        /// from ValueEquals, TryGetInt64, TryGetInt32 and GetDouble where a lenient reader might answer false.
        /// </summary>
        public void NumberAndStringReadsOfOtherKinds(JsonElement e, TapeValue t, string path)
        {
            var kind = e.ValueKind;
            // Deliberately lenient where JsonElement throws: a question about another kind is answered no (the
            // notebook code asks "is nbformat_minor an integer >= 5" without checking its kind first).
            if (kind != JsonValueKind.String)
            {
                Check(!t.ValueEquals("a") && !t.ValueEquals("a"u8), path, "ValueEquals on another kind is not false");
                Check(Try(() => e.ValueEquals("a")).Threw != null || kind == JsonValueKind.Null, path, "JsonElement.ValueEquals no longer throws");
            }
            if (kind != JsonValueKind.Number)
            {
                Check(!t.TryGetInt64(out _) && !t.TryGetInt32(out _), path, "TryGetInt64/TryGetInt32 on another kind is not false");
                Same(Try(e.GetDouble), Try(t.GetDouble), path, "GetDouble");
                Same(Try(e.GetInt64), Try(t.GetInt64), path, "GetInt64");
            }
        }

        /// <summary>The tape writes what reparses to a value deeply equal to the element, when JsonElement can write it.</summary>
        private void WriteTo(JsonElement e, TapeValue t, string path)
        {
            byte[] written;
            try { written = Write(t.WriteTo); }
            catch (Exception x)
            {
                Check(Try(() => Write(e.WriteTo).Length).Threw != null, path, $"TapeValue.WriteTo throws {x.GetType().Name}: {x.Message}; JsonElement.WriteTo does not");
                return;
            }
            using var back = Reparse(written, path, "TapeValue.WriteTo");
            Check(Equivalent(e, back.RootElement), path, $"TapeValue.WriteTo wrote {Show(written)}");
        }

        private void PropertyWriteTo(JsonProperty ep, TapeProperty tp, string path)
        {
            byte[] written;
            try { written = Write(w => { w.WriteStartObject(); tp.WriteTo(w); w.WriteEndObject(); }); }
            catch (Exception x)
            {
                Check(Try(() => Write(w => { w.WriteStartObject(); ep.WriteTo(w); w.WriteEndObject(); }).Length).Threw != null, path, $"TapeProperty.WriteTo throws {x.GetType().Name}: {x.Message}; JsonProperty.WriteTo does not");
                return;
            }
            using var back = Reparse(written, path, "TapeProperty.WriteTo");
            var props = back.RootElement.EnumerateObject().ToList();
            Check(props.Count == 1, path, $"TapeProperty.WriteTo wrote {Show(written)}");
            var name = Tolerant(Quoted(JsonMarshal.GetRawUtf8PropertyName(ep)));
            var writtenName = Tolerant(Quoted(JsonMarshal.GetRawUtf8PropertyName(props[0])));
            Check(name == writtenName && Equivalent(ep.Value, props[0].Value), path, $"TapeProperty.WriteTo wrote {Show(written)}");
        }

        private JsonDocument Reparse(byte[] written, string path, string what)
        {
            try { return JsonDocument.Parse(written, Reparsing); }
            catch (JsonException x) { throw new Xunit.Sdk.XunitException($"{what} wrote {Show(written)}, which does not parse ({x.Message}) at {path} in {shown}"); }
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Writing)) write(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>JsonElement.DeepEquals, or where it throws (lone surrogate escapes) the same in order, strings decoded leniently.</summary>
    private static bool Equivalent(JsonElement a, JsonElement b)
    {
        try { return JsonElement.DeepEquals(a, b); }
        catch (InvalidOperationException) { }
        catch (ArgumentOutOfRangeException) { }
        if (a.ValueKind != b.ValueKind) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.String:
                return Tolerant(JsonMarshal.GetRawUtf8Value(a)) == Tolerant(JsonMarshal.GetRawUtf8Value(b));
            case JsonValueKind.Array:
                var (xs, ys) = (a.EnumerateArray().ToList(), b.EnumerateArray().ToList());
                return xs.Count == ys.Count && xs.Zip(ys).All(p => Equivalent(p.First, p.Second));
            case JsonValueKind.Object:
                var (ps, qs) = (a.EnumerateObject().ToList(), b.EnumerateObject().ToList());
                return ps.Count == qs.Count && ps.Zip(qs).All(p =>
                    Tolerant(Quoted(JsonMarshal.GetRawUtf8PropertyName(p.First))) == Tolerant(Quoted(JsonMarshal.GetRawUtf8PropertyName(p.Second)))
                    && Equivalent(p.First.Value, p.Second.Value));
            case JsonValueKind.Number:
                try { return JsonElement.DeepEquals(a, b); }
                catch (ArgumentOutOfRangeException) { return JsonMarshal.GetRawUtf8Value(a).SequenceEqual(JsonMarshal.GetRawUtf8Value(b)); }
            default:
                return JsonElement.DeepEquals(a, b);
        }
    }

    /// <summary>
    /// TapeValue.DeepEquals(x, y) answers as JsonElement.DeepEquals(a, b) does. Where the oracle has no answer (it
    /// throws ArgumentOutOfRangeException on a number with an exponent beyond int, e.g. 1e999999999999) any answer is
    /// taken, and around unpaired surrogate escapes as in <see cref="Relaxed"/>.
    /// </summary>
    private static void CheckDeep(JsonElement a, JsonElement b, TapeValue x, TapeValue y, Func<string> what)
    {
        var expected = Try(() => JsonElement.DeepEquals(a, b));
        var actual = Try(() => TapeValue.DeepEquals(x, y));
        if (expected.Equals(actual) || expected.Threw == nameof(ArgumentOutOfRangeException)) return;
        var unreadable = SurrogateEscape(JsonMarshal.GetRawUtf8Value(a)) || SurrogateEscape(JsonMarshal.GetRawUtf8Value(b));
        if (!Relaxed(unreadable, expected, actual)) Fail($"{what()}: JsonElement {expected}, JsonTape {actual}");
    }

    /// <summary>
    /// Where System.Text.Json cannot unescape a name or string involved (an unpaired surrogate escape such as
    /// "\ud800"), JsonElement's comparisons and look-ups throw InvalidOperationException or answer "no" depending on
    /// lengths and on where the unreadable text is. Where JsonElement throws, any answer is taken; where it says no
    /// (not equal, not found), the tape may say so too or throw InvalidOperationException.
    /// </summary>
    private static bool Relaxed(bool unreadable, Outcome expected, Outcome actual)
    {
        return unreadable && (expected.Threw == nameof(InvalidOperationException) || No(expected) && No(actual));

        static bool No(Outcome o) => o.Threw is nameof(InvalidOperationException) or nameof(KeyNotFoundException) || o.Value is false or -1;
    }

    /// <summary>A \uD800-\uDFFF escape somewhere in the text (or something that looks like one).</summary>
    private static bool SurrogateEscape(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i + 3 < raw.Length; i++)
            if (raw[i] == '\\' && raw[i + 1] == 'u' && (raw[i + 2] | 0x20) == 'd' && "89abcdef".Contains((char)(raw[i + 3] | 0x20)))
                return true;
        return false;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    [DoesNotReturn]
    private static void Fail(string message) => throw new Xunit.Sdk.XunitException(message);

    /// <summary>No lone surrogate: a string System.Text.Json takes as an argument (it throws ArgumentException otherwise).</summary>
    private static bool WellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }

    private static byte[] Quoted(ReadOnlySpan<byte> inner)
    {
        var quoted = new byte[inner.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        inner.CopyTo(quoted.AsSpan(1));
        return quoted;
    }

    /// <summary>The unescaped UTF-8 of a JSON string token (quotes included), or null where System.Text.Json refuses it.</summary>
    private static byte[]? Unescape(ReadOnlySpan<byte> quoted)
    {
        try
        {
            var reader = new Utf8JsonReader(quoted);
            reader.Read();
            var buffer = new byte[quoted.Length];
            return buffer[..reader.CopyString(buffer)];
        }
        catch (InvalidOperationException) { return null; }
        catch (JsonException) { return null; }
    }

    /// <summary>A JSON string token (quotes included) decoded to UTF-16, lone surrogate escapes kept, bad UTF-8 replaced.</summary>
    private static string Tolerant(ReadOnlySpan<byte> quoted)
    {
        var s = quoted[1..^1];
        var sb = new StringBuilder();
        var run = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') continue;
            sb.Append(Encoding.UTF8.GetString(s[run..i]));
            var c = (char)s[++i];
            switch (c)
            {
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u': sb.Append((char)Convert.ToInt32(Encoding.ASCII.GetString(s.Slice(i + 1, 4)), 16)); i += 4; break;
                default: sb.Append(c); break;
            }
            run = i + 1;
        }
        return sb.Append(Encoding.UTF8.GetString(s[run..])).ToString();
    }

    /// <summary>Bytes as readable ASCII: printable characters as they are, everything else as \xNN; long inputs cut.</summary>
    private static string Show(ReadOnlySpan<byte> bytes, int max = 300)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, max)])
            sb.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : b == '\\' ? "\\\\" : $"\\x{b:X2}");
        if (bytes.Length > max) sb.Append($"…({bytes.Length} bytes)");
        return sb.Length == 0 ? "(empty)" : sb.ToString();
    }

    private static string Escape(string s) =>
        string.Concat(s.Take(100).Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:X4}")) + (s.Length > 100 ? "…" : "");

    private static byte[] Bytes(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case string s: list.AddRange(Encoding.UTF8.GetBytes(s)); break;
                case int b: list.Add((byte)b); break;
                case byte[] bs: list.AddRange(bs); break;
                default: throw new ArgumentException(part.GetType().Name);
            }
        }
        return list.ToArray();
    }

    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));
}
