using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// A small JSON Schema (draft 7) validator for the keywords our nbformat schema uses: <c>$ref</c> to local
/// definitions, <c>type</c>, <c>enum</c>, <c>const</c>, <c>required</c>, <c>properties</c>, <c>patternProperties</c>,
/// <c>additionalProperties</c>, <c>items</c>, <c>minItems</c>, <c>uniqueItems</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>oneOf</c>, <c>anyOf</c>, <c>allOf</c>, <c>if/then/else</c>.
/// The schema is compiled once into a tree of <see cref="Node"/>s, so validating a 20 MB notebook does no keyword
/// lookups and no allocation per element; the instance is read in place (<see cref="TapeValue"/>, no copies). It
/// reports the first error with the offending instance, which is what Jupyter puts in a model's <c>message</c>.
/// </summary>
public sealed class JsonSchemaValidator
{
    private readonly Node _root;

    public JsonSchemaValidator(JsonElement schema) => _root = new Compiler(schema).Compile(schema);

    public sealed record Error(string Message, TapeValue Instance, string Path);

    public Error? Validate(TapeValue instance) => Check(_root, instance, new Walk());

    /// <summary>Where the validation is: the path to the instance, and whether errors are only counted (see
    /// <see cref="Silent"/>).</summary>
    private sealed class Walk
    {
        public readonly List<PathSegment> Path = [];
        /// <summary>Inside a oneOf/anyOf branch or an if condition: an error there is only counted, never shown.</summary>
        public int Quiet;
    }

    /// <summary>A property name (decoded only if an error's path shows it) or an array index.</summary>
    private readonly record struct PathSegment(TapeProperty? Property, int Index)
    {
        public override string ToString() => Property is { } p ? p.Name : Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The error returned where errors are only counted: a oneOf checks every cell against three branches and every
    /// output against four, and building the failed branches' messages (and their paths) was most of the validation's
    /// time and allocation on an output-heavy notebook.
    /// </summary>
    private static readonly Error Silent = new("", default, "");

    /// <summary>An error at the current place: <see cref="Silent"/> where errors are only counted, in which case its
    /// message is not even formatted (<see cref="Message"/> skips the interpolation's holes).</summary>
    private static Error Fail(Walk w, TapeValue inst, [InterpolatedStringHandlerArgument(nameof(w))] ref Message message) =>
        w.Quiet > 0 ? Silent : new(message.ToStringAndClear(), inst, w.Path.Count == 0 ? "" : "/" + string.Join('/', w.Path));

    /// <summary>An error message, formatted only when it will be shown.</summary>
    [InterpolatedStringHandler]
    private ref struct Message
    {
        private DefaultInterpolatedStringHandler _text;

        public Message(int literalLength, int formattedCount, Walk w, out bool shown)
        {
            shown = w.Quiet == 0;
            _text = shown ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public void AppendLiteral(string s) => _text.AppendLiteral(s);
        public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);
        public string ToStringAndClear() => _text.ToStringAndClear();
    }

    [Flags]
    private enum JsonTypes
    {
        None = 0, Object = 1, Array = 2, String = 4, Integer = 8, Number = 16, Boolean = 32, Null = 64,
    }

    /// <summary>One compiled schema. <see cref="Ref"/> nodes are filled in after compilation (schemas are recursive).</summary>
    private sealed class Node
    {
        public bool? Constant;                 // true/false schemas
        public Node? Ref;
        public JsonTypes Types;
        public string TypeNames = "";
        public TapeValue[]? Enum;     // instances compare with the schema's values as tapes
        public string EnumText = "";
        public TapeValue? Const;
        public string[]? Required;
        public byte[][]? RequiredUtf8;
        public Dictionary<string, Node>? Properties;
        public (byte[] Name, Node Schema)[]? PropertyList;     // the same, looked up by a property's raw UTF-8 name
        public (Regex Pattern, Node Schema)[]? PatternProperties;
        public Node? AdditionalProperties;     // a False constant node when additional properties are forbidden
        public Node? Items;
        public long? MinItems;
        public bool UniqueItems;
        public long? MinLength, MaxLength;
        public (Regex Rx, string Source)? Pattern;
        public double? Minimum, Maximum;
        public string MinimumText = "", MaximumText = "";
        public Node[]? AllOf, AnyOf, OneOf;
        public Node? If, Then, Else;

        /// <summary>Only <c>type</c> constrains this schema (read after compilation, when references are filled in).</summary>
        public bool IsTypeOnly => Constant == null && Ref == null && Types != JsonTypes.None && Enum == null && Const == null &&
            Required == null && Properties == null && PatternProperties == null && AdditionalProperties == null &&
            Items == null && MinItems == null && !UniqueItems && MinLength == null && MaxLength == null && Pattern == null &&
            Minimum == null && Maximum == null && AllOf == null && AnyOf == null && OneOf == null && If == null &&
            Then == null && Else == null;
    }

    private sealed class Compiler(JsonElement root)
    {
        private readonly Dictionary<string, Node> _refs = new(StringComparer.Ordinal);

        public Node Compile(JsonElement s)
        {
            if (s.ValueKind == JsonValueKind.True) return new Node { Constant = true };
            if (s.ValueKind == JsonValueKind.False) return new Node { Constant = false };
            var n = new Node();
            if (s.ValueKind != JsonValueKind.Object) { n.Constant = true; return n; }
            if (s.TryGetProperty("$ref", out var r)) { n.Ref = Resolve(r.GetString()!); return n; }
            if (s.TryGetProperty("type", out var type))
            {
                foreach (var t in type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().ToArray() : [type])
                    n.Types |= t.GetString() switch
                    {
                        "object" => JsonTypes.Object, "array" => JsonTypes.Array, "string" => JsonTypes.String,
                        "integer" => JsonTypes.Integer, "number" => JsonTypes.Number, "boolean" => JsonTypes.Boolean,
                        "null" => JsonTypes.Null, var other => throw new NotSupportedException("schema type " + other),
                    };
                n.TypeNames = type.ValueKind == JsonValueKind.Array
                    ? string.Join(", ", type.EnumerateArray().Select(t => $"'{t.GetString()}'"))
                    : $"'{type.GetString()}'";
            }
            if (s.TryGetProperty("enum", out var en)) { n.Enum = JsonTape.From(en).Root.EnumerateArray().ToArray(); n.EnumText = en.GetRawText(); }
            if (s.TryGetProperty("const", out var cst)) n.Const = JsonTape.From(cst).Root;
            if (s.TryGetProperty("required", out var req))
            {
                n.Required = req.EnumerateArray().Select(x => x.GetString()!).ToArray();
                n.RequiredUtf8 = n.Required.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
            }
            if (s.TryGetProperty("properties", out var props))
            {
                n.Properties = new Dictionary<string, Node>(StringComparer.Ordinal);
                foreach (var p in props.EnumerateObject()) n.Properties[p.Name] = Compile(p.Value);
                n.PropertyList = n.Properties.Select(kv => (System.Text.Encoding.UTF8.GetBytes(kv.Key), kv.Value)).ToArray();
            }
            if (s.TryGetProperty("patternProperties", out var pats))
                n.PatternProperties = pats.EnumerateObject()
                    .Select(p => (new Regex(p.Name, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), Compile(p.Value))).ToArray();
            if (s.TryGetProperty("additionalProperties", out var add) && add.ValueKind is JsonValueKind.False or JsonValueKind.Object)
                n.AdditionalProperties = Compile(add);
            if (s.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object) n.Items = Compile(items);
            if (s.TryGetProperty("minItems", out var mi)) n.MinItems = mi.GetInt64();
            n.UniqueItems = s.TryGetProperty("uniqueItems", out var u) && u.ValueKind == JsonValueKind.True;
            if (s.TryGetProperty("minLength", out var minL) && minL.ValueKind == JsonValueKind.Number) n.MinLength = minL.GetInt64();
            if (s.TryGetProperty("maxLength", out var maxL) && maxL.ValueKind == JsonValueKind.Number) n.MaxLength = maxL.GetInt64();
            if (s.TryGetProperty("pattern", out var pat) && pat.ValueKind == JsonValueKind.String)
                n.Pattern = (new Regex(pat.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), pat.GetString()!);
            if (s.TryGetProperty("minimum", out var min)) { n.Minimum = min.GetDouble(); n.MinimumText = min.GetRawText(); }
            if (s.TryGetProperty("maximum", out var max)) { n.Maximum = max.GetDouble(); n.MaximumText = max.GetRawText(); }
            if (s.TryGetProperty("allOf", out var all)) n.AllOf = all.EnumerateArray().Select(Compile).ToArray();
            if (s.TryGetProperty("anyOf", out var any)) n.AnyOf = any.EnumerateArray().Select(Compile).ToArray();
            if (s.TryGetProperty("oneOf", out var one)) n.OneOf = one.EnumerateArray().Select(Compile).ToArray();
            if (s.TryGetProperty("if", out var cond))
            {
                n.If = Compile(cond);
                if (s.TryGetProperty("then", out var then)) n.Then = Compile(then);
                if (s.TryGetProperty("else", out var els)) n.Else = Compile(els);
            }
            return n;
        }

        /// <summary>Each definition compiles once; a reference made while it compiles gets the same (not yet filled) node.</summary>
        private Node Resolve(string reference)
        {
            if (_refs.TryGetValue(reference, out var done)) return done;
            if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException("only local $ref: " + reference);
            var target = root;
            foreach (var part in reference[2..].Split('/'))
                if (!target.TryGetProperty(part.Replace("~1", "/").Replace("~0", "~"), out target))
                    throw new InvalidOperationException("unresolvable $ref " + reference);
            var holder = new Node();
            _refs[reference] = holder;
            holder.Ref = Compile(target);
            return holder;
        }
    }

    private static Error? Check(Node s, TapeValue inst, Walk w)
    {
        while (s.Ref != null) s = s.Ref;
        if (s.Constant is { } constant) return constant ? null : Fail(w, inst, $"False schema does not allow {Short(inst)}");

        if (s.Types != JsonTypes.None && !TypeMatches(s.Types, inst))
            return Fail(w, inst, $"{Short(inst)} is not of type {s.TypeNames}");
        if (s.Enum != null)
        {
            var found = false;
            foreach (var e in s.Enum) if (TapeValue.DeepEquals(e, inst)) { found = true; break; }
            if (!found) return Fail(w, inst, $"{Short(inst)} is not one of {s.EnumText}");
        }
        if (s.Const is { } cst && !TapeValue.DeepEquals(cst, inst)) return Fail(w, inst, $"{cst.GetRawText()} was expected");

        switch (inst.ValueKind)
        {
            case JsonValueKind.Object:
                if (CheckObject(s, inst, w) is { } objectError) return objectError;
                break;
            case JsonValueKind.Array:
                if (CheckArray(s, inst, w) is { } arrayError) return arrayError;
                break;
            case JsonValueKind.String when s.MinLength != null || s.MaxLength != null || s.Pattern != null:
            {
                var str = inst.GetString()!;
                var len = CodePointLength(str);
                if (len < s.MinLength) return Fail(w, inst, $"'{str}' is too short");
                if (len > s.MaxLength) return Fail(w, inst, $"'{str}' is too long");
                if (s.Pattern is { } p && !p.Rx.IsMatch(str)) return Fail(w, inst, $"'{str}' does not match '{p.Source}'");
                break;
            }
            case JsonValueKind.Number when s.Minimum != null || s.Maximum != null:
            {
                var d = inst.GetDouble();
                if (d < s.Minimum) return Fail(w, inst, $"{Short(inst)} is less than the minimum of {s.MinimumText}");
                if (d > s.Maximum) return Fail(w, inst, $"{Short(inst)} is greater than the maximum of {s.MaximumText}");
                break;
            }
        }

        if (s.AllOf != null)
            foreach (var sub in s.AllOf)
                if (Check(sub, inst, w) is { } e) return e;
        if (s.AnyOf != null)
        {
            var ok = false;
            w.Quiet++;
            try { foreach (var sub in s.AnyOf) if (Check(sub, inst, w) == null) { ok = true; break; } }
            finally { w.Quiet--; }
            if (!ok) return Fail(w, inst, $"{Short(inst)} is not valid under any of the given schemas");
        }
        if (s.OneOf != null)
        {
            var valid = 0;
            w.Quiet++;
            try { foreach (var sub in s.OneOf) if (Check(sub, inst, w) == null) valid++; }
            finally { w.Quiet--; }
            if (valid == 0) return Fail(w, inst, $"{Short(inst)} is not valid under any of the given schemas");
            if (valid > 1) return Fail(w, inst, $"{Short(inst)} is valid under each of several given schemas");
        }
        if (s.If != null)
        {
            w.Quiet++;
            bool holds;
            try { holds = Check(s.If, inst, w) == null; }
            finally { w.Quiet--; }
            var branch = holds ? s.Then : s.Else;
            if (branch != null && Check(branch, inst, w) is { } e) return e;
        }
        return null;
    }

    private static Error? CheckObject(Node s, TapeValue inst, Walk w)
    {
        if (s.RequiredUtf8 != null)
            for (var i = 0; i < s.RequiredUtf8.Length; i++)
                if (!inst.TryGetProperty(s.RequiredUtf8[i], out _))
                    return Fail(w, inst, $"'{s.Required![i]}' is a required property");
        if (s.Properties == null && s.PatternProperties == null && s.AdditionalProperties == null) return null;
        var path = w.Path;
        foreach (var p in inst.EnumerateObject())
        {
            var matched = false;
            // Names are matched by their raw UTF-8 bytes (no string per property); an escaped one is decoded.
            var raw = p.RawName;
            var escaped = p.NameIsEscaped;
            Node? ps = null;
            if (s.PropertyList != null)
            {
                if (escaped) s.Properties!.TryGetValue(p.Name, out ps);
                else
                    foreach (var (name, schema) in s.PropertyList)
                        if (raw.SequenceEqual(name)) { ps = schema; break; }
            }
            if (ps != null)
            {
                matched = true;
                path.Add(new PathSegment(p, 0));
                var e = Check(ps, p.Value, w);
                path.RemoveAt(path.Count - 1);
                if (e != null) return e;
            }
            if (s.PatternProperties != null)
            {
                var name = p.Name;
                foreach (var (rx, schema) in s.PatternProperties)
                    if (rx.IsMatch(name))
                    {
                        matched = true;
                        path.Add(new PathSegment(p, 0));
                        var e = Check(schema, p.Value, w);
                        path.RemoveAt(path.Count - 1);
                        if (e != null) return e;
                    }
            }
            if (!matched && s.AdditionalProperties is { } additional)
            {
                if (additional.Constant == false)
                    return Fail(w, inst, $"Additional properties are not allowed ('{p.Name}' was unexpected)");
                path.Add(new PathSegment(p, 0));
                var e = Check(additional, p.Value, w);
                path.RemoveAt(path.Count - 1);
                if (e != null) return e;
            }
        }
        return null;
    }

    private static Error? CheckArray(Node s, TapeValue inst, Walk w)
    {
        if (s.MinItems is { } minItems && inst.GetArrayLength() < minItems) return Fail(w, inst, $"{Short(inst)} is too short");
        if (s.Items != null)
        {
            var items = s.Items;
            while (items.Ref != null) items = items.Ref;
            var typeOnly = items.IsTypeOnly;
            var i = 0;
            foreach (var item in inst.EnumerateArray())
            {
                // A schema that only names a type (multi-line strings, tags, tracebacks) needs no call per item.
                if (typeOnly && TypeMatches(items.Types, item)) { i++; continue; }
                w.Path.Add(new PathSegment(null, i++));
                var e = Check(s.Items, item, w);
                w.Path.RemoveAt(w.Path.Count - 1);
                if (e != null) return e;
            }
        }
        if (s.UniqueItems)
        {
            var arr = inst.EnumerateArray().ToList();
            for (var i = 0; i < arr.Count; i++)
                for (var j = i + 1; j < arr.Count; j++)
                    if (TapeValue.DeepEquals(arr[i], arr[j])) return Fail(w, inst, $"{Short(inst)} has non-unique elements");
        }
        return null;
    }

    private static bool TypeMatches(JsonTypes types, TapeValue inst) => inst.ValueKind switch
    {
        JsonValueKind.Object => (types & JsonTypes.Object) != 0,
        JsonValueKind.Array => (types & JsonTypes.Array) != 0,
        JsonValueKind.String => (types & JsonTypes.String) != 0,
        JsonValueKind.Number => (types & JsonTypes.Number) != 0 || ((types & JsonTypes.Integer) != 0 && IsIntegral(inst)),
        JsonValueKind.True or JsonValueKind.False => (types & JsonTypes.Boolean) != 0,
        JsonValueKind.Null => (types & JsonTypes.Null) != 0,
        _ => false,
    };

    private static bool IsIntegral(TapeValue n)
    {
        if (n.TryGetInt64(out _)) return true;
        var raw = n.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0) return true;    // a big integer
        var d = n.GetDouble();
        return Math.Floor(d) == d && !double.IsInfinity(d);
    }

    private static int CodePointLength(string s)
    {
        var n = 0;
        for (var i = 0; i < s.Length; i++) { if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++; n++; }
        return n;
    }

    /// <summary>
    /// The instance's JSON text, cut after 200 characters. Only a prefix of its bytes is decoded: the instance may be a
    /// whole 20 MB notebook or one of its long output arrays.
    /// </summary>
    private static string Short(TapeValue t)
    {
        var raw = t.Raw;
        // 800 bytes hold at least 200 characters, so the cut is the same as on the whole text.
        var s = System.Text.Encoding.UTF8.GetString(raw.Length > 1024 ? raw[..1024] : raw);
        return s.Length > 200 ? s[..200] + "..." : s;
    }
}
