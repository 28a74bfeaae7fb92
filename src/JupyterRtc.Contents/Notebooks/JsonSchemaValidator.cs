using System.Text.Json;
using System.Text.RegularExpressions;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// A small JSON Schema (draft 7) validator for the keywords our nbformat schema uses: <c>$ref</c> to local
/// definitions, <c>type</c>, <c>enum</c>, <c>const</c>, <c>required</c>, <c>properties</c>, <c>patternProperties</c>,
/// <c>additionalProperties</c>, <c>items</c>, <c>minItems</c>, <c>uniqueItems</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>oneOf</c>, <c>anyOf</c>, <c>allOf</c>, <c>if/then/else</c>.
/// It works on <see cref="JsonElement"/> (no copies of the instance) and reports the first error with the offending
/// instance, which is what Jupyter puts in a model's <c>message</c>.
/// </summary>
public sealed class JsonSchemaValidator
{
    private readonly JsonElement _root;
    private readonly Dictionary<string, Regex> _regexes = new();
    private readonly Dictionary<string, JsonElement> _refs = new();
    private readonly Lock _lock = new();

    public JsonSchemaValidator(JsonElement schema) => _root = schema;

    public sealed record Error(string Message, JsonElement Instance, string Path);

    public Error? Validate(JsonElement instance) => Check(_root, instance, "");

    private Error? Check(JsonElement s, JsonElement inst, string path)
    {
        if (s.ValueKind == JsonValueKind.True) return null;
        if (s.ValueKind == JsonValueKind.False) return new Error("False schema does not allow " + Short(inst), inst, path);
        if (s.ValueKind != JsonValueKind.Object) return null;
        if (s.TryGetProperty("$ref", out var refValue)) return Check(Resolve(refValue.GetString()!), inst, path);

        if (s.TryGetProperty("type", out var type) && !TypeMatches(type, inst))
            return new Error($"{Short(inst)} is not of type {TypeNames(type)}", inst, path);
        if (s.TryGetProperty("enum", out var en))
        {
            var found = false;
            foreach (var e in en.EnumerateArray()) if (JsonElement.DeepEquals(e, inst)) { found = true; break; }
            if (!found) return new Error($"{Short(inst)} is not one of {en.GetRawText()}", inst, path);
        }
        if (s.TryGetProperty("const", out var cst) && !JsonElement.DeepEquals(cst, inst))
            return new Error($"{cst.GetRawText()} was expected", inst, path);

        switch (inst.ValueKind)
        {
            case JsonValueKind.Object:
            {
                if (s.TryGetProperty("required", out var req))
                    foreach (var r in req.EnumerateArray())
                        if (!inst.TryGetProperty(r.GetString()!, out _)) return new Error($"'{r.GetString()}' is a required property", inst, path);
                var hasProps = s.TryGetProperty("properties", out var props);
                var hasPatterns = s.TryGetProperty("patternProperties", out var patterns);
                var hasAdditional = s.TryGetProperty("additionalProperties", out var additional);
                foreach (var p in inst.EnumerateObject())
                {
                    var matched = false;
                    if (hasProps && props.TryGetProperty(p.Name, out var ps))
                    {
                        matched = true;
                        if (Check(ps, p.Value, path + "/" + p.Name) is { } e) return e;
                    }
                    if (hasPatterns)
                        foreach (var pp in patterns.EnumerateObject())
                            if (Rx(pp.Name).IsMatch(p.Name))
                            {
                                matched = true;
                                if (Check(pp.Value, p.Value, path + "/" + p.Name) is { } e) return e;
                            }
                    if (!matched && hasAdditional)
                    {
                        if (additional.ValueKind == JsonValueKind.False)
                            return new Error($"Additional properties are not allowed ('{p.Name}' was unexpected)", inst, path);
                        if (additional.ValueKind == JsonValueKind.Object && Check(additional, p.Value, path + "/" + p.Name) is { } e) return e;
                    }
                }
                break;
            }
            case JsonValueKind.Array:
            {
                var count = inst.GetArrayLength();
                if (s.TryGetProperty("minItems", out var mi) && count < mi.GetInt64()) return new Error($"{Short(inst)} is too short", inst, path);
                if (s.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object)
                {
                    var i = 0;
                    foreach (var item in inst.EnumerateArray())
                        if (Check(items, item, path + "/" + i++) is { } e) return e;
                }
                if (s.TryGetProperty("uniqueItems", out var u) && u.ValueKind == JsonValueKind.True)
                {
                    var arr = inst.EnumerateArray().ToArray();
                    for (var i = 0; i < arr.Length; i++)
                        for (var j = i + 1; j < arr.Length; j++)
                            if (JsonElement.DeepEquals(arr[i], arr[j])) return new Error($"{Short(inst)} has non-unique elements", inst, path);
                }
                break;
            }
            case JsonValueKind.String:
            {
                if (s.TryGetProperty("minLength", out var minL) | s.TryGetProperty("maxLength", out var maxL) | s.TryGetProperty("pattern", out var pat))
                {
                    var str = inst.GetString()!;
                    var len = CodePointLength(str);
                    if (minL.ValueKind == JsonValueKind.Number && len < minL.GetInt64()) return new Error($"'{str}' is too short", inst, path);
                    if (maxL.ValueKind == JsonValueKind.Number && len > maxL.GetInt64()) return new Error($"'{str}' is too long", inst, path);
                    if (pat.ValueKind == JsonValueKind.String && !Rx(pat.GetString()!).IsMatch(str))
                        return new Error($"'{str}' does not match '{pat.GetString()}'", inst, path);
                }
                break;
            }
            case JsonValueKind.Number:
            {
                var d = inst.GetDouble();
                if (s.TryGetProperty("minimum", out var min) && d < min.GetDouble()) return new Error($"{Short(inst)} is less than the minimum of {min.GetRawText()}", inst, path);
                if (s.TryGetProperty("maximum", out var max) && d > max.GetDouble()) return new Error($"{Short(inst)} is greater than the maximum of {max.GetRawText()}", inst, path);
                break;
            }
        }

        if (s.TryGetProperty("allOf", out var all))
            foreach (var sub in all.EnumerateArray())
                if (Check(sub, inst, path) is { } e) return e;
        if (s.TryGetProperty("anyOf", out var any))
        {
            var ok = false;
            foreach (var sub in any.EnumerateArray()) if (Check(sub, inst, path) == null) { ok = true; break; }
            if (!ok) return new Error($"{Short(inst)} is not valid under any of the given schemas", inst, path);
        }
        if (s.TryGetProperty("oneOf", out var one))
        {
            var valid = 0;
            foreach (var sub in one.EnumerateArray()) if (Check(sub, inst, path) == null) valid++;
            if (valid == 0) return new Error($"{Short(inst)} is not valid under any of the given schemas", inst, path);
            if (valid > 1) return new Error($"{Short(inst)} is valid under each of several given schemas", inst, path);
        }
        if (s.TryGetProperty("if", out var cond))
        {
            var has = Check(cond, inst, path) == null ? s.TryGetProperty("then", out var branch) : s.TryGetProperty("else", out branch);
            if (has && Check(branch, inst, path) is { } e) return e;
        }
        return null;
    }

    private JsonElement Resolve(string reference)
    {
        lock (_lock)
        {
            if (_refs.TryGetValue(reference, out var cached)) return cached;
            if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException("only local $ref: " + reference);
            var node = _root;
            foreach (var part in reference[2..].Split('/'))
                if (!node.TryGetProperty(part.Replace("~1", "/").Replace("~0", "~"), out node))
                    throw new InvalidOperationException("unresolvable $ref " + reference);
            _refs[reference] = node;
            return node;
        }
    }

    private Regex Rx(string pattern)
    {
        lock (_lock)
        {
            if (!_regexes.TryGetValue(pattern, out var rx))
                _regexes[pattern] = rx = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            return rx;
        }
    }

    private static bool TypeMatches(JsonElement type, JsonElement inst)
    {
        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in type.EnumerateArray()) if (TypeMatches(t, inst)) return true;
            return false;
        }
        return type.GetString() switch
        {
            "object" => inst.ValueKind == JsonValueKind.Object,
            "array" => inst.ValueKind == JsonValueKind.Array,
            "string" => inst.ValueKind == JsonValueKind.String,
            "integer" => inst.ValueKind == JsonValueKind.Number && IsIntegral(inst),
            "number" => inst.ValueKind == JsonValueKind.Number,
            "boolean" => inst.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => inst.ValueKind == JsonValueKind.Null,
            _ => false,
        };
    }

    private static bool IsIntegral(JsonElement n)
    {
        if (n.TryGetInt64(out _)) return true;
        var raw = n.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0) return true;    // a big integer
        var d = n.GetDouble();
        return Math.Floor(d) == d && !double.IsInfinity(d);
    }

    private static string TypeNames(JsonElement type) =>
        type.ValueKind == JsonValueKind.Array ? string.Join(", ", type.EnumerateArray().Select(t => $"'{t.GetString()}'")) : $"'{type.GetString()}'";

    private static int CodePointLength(string s)
    {
        var n = 0;
        for (var i = 0; i < s.Length; i++) { if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++; n++; }
        return n;
    }

    private static string Short(JsonElement t)
    {
        var s = t.GetRawText();
        return s.Length > 200 ? s[..200] + "..." : s;
    }
}
