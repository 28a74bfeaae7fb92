using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// A small JSON Schema (draft 7) validator for the keywords our nbformat schema uses: <c>$ref</c> to local
/// definitions, <c>type</c>, <c>enum</c>, <c>const</c>, <c>required</c>, <c>properties</c>, <c>patternProperties</c>,
/// <c>additionalProperties</c>, <c>items</c>, <c>minItems</c>, <c>uniqueItems</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>oneOf</c>, <c>anyOf</c>, <c>allOf</c>, <c>if/then/else</c>.
/// It reports the first error with the offending instance, which is what Jupyter puts in a model's <c>message</c>.
/// </summary>
public sealed class JsonSchemaValidator
{
    private readonly JObject _root;
    private readonly Dictionary<string, Regex> _regexes = new();

    public JsonSchemaValidator(JObject schema) => _root = schema;

    public sealed record Error(string Message, JToken Instance, string Path);

    public Error? Validate(JToken instance) => Check(_root, instance, "");

    private Error? Check(JToken schema, JToken inst, string path)
    {
        if (schema.Type == JTokenType.Boolean) return (bool)schema ? null : new Error("False schema does not allow " + Short(inst), inst, path);
        if (schema is not JObject s) return null;
        if (s["$ref"] is JValue refValue) return Check(Resolve((string)refValue!), inst, path);

        if (s["type"] is { } type && !TypeMatches(type, inst))
            return new Error($"{Short(inst)} is not of type {TypeNames(type)}", inst, path);
        if (s["enum"] is JArray en && !en.Any(e => JToken.DeepEquals(e, inst)))
            return new Error($"{Short(inst)} is not one of {en.ToString(Newtonsoft.Json.Formatting.None)}", inst, path);
        if (s["const"] is { } cst && !JToken.DeepEquals(cst, inst))
            return new Error($"{cst.ToString(Newtonsoft.Json.Formatting.None)} was expected", inst, path);

        switch (inst)
        {
            case JObject obj:
            {
                if (s["required"] is JArray req)
                    foreach (var r in req)
                        if (!obj.ContainsKey((string)r!)) return new Error($"'{(string)r!}' is a required property", inst, path);
                var props = s["properties"] as JObject;
                var patterns = s["patternProperties"] as JObject;
                var additional = s["additionalProperties"];
                foreach (var p in obj.Properties())
                {
                    var matched = false;
                    if (props?[p.Name] is { } ps)
                    {
                        matched = true;
                        if (Check(ps, p.Value, path + "/" + p.Name) is { } e) return e;
                    }
                    if (patterns != null)
                        foreach (var pp in patterns.Properties())
                            if (Rx(pp.Name).IsMatch(p.Name))
                            {
                                matched = true;
                                if (Check(pp.Value, p.Value, path + "/" + p.Name) is { } e) return e;
                            }
                    if (!matched && additional != null && additional.Type != JTokenType.Null)
                    {
                        if (additional.Type == JTokenType.Boolean && !(bool)additional)
                            return new Error($"Additional properties are not allowed ('{p.Name}' was unexpected)", inst, path);
                        if (additional is JObject && Check(additional, p.Value, path + "/" + p.Name) is { } e) return e;
                    }
                }
                break;
            }
            case JArray arr:
            {
                if (s["minItems"] is JValue mi && arr.Count < (long)mi) return new Error($"{Short(inst)} is too short", inst, path);
                if (s["items"] is JObject items)
                    for (var i = 0; i < arr.Count; i++)
                        if (Check(items, arr[i], path + "/" + i) is { } e) return e;
                if (s["uniqueItems"] is JValue u && (bool)u)
                    for (var i = 0; i < arr.Count; i++)
                        for (var j = i + 1; j < arr.Count; j++)
                            if (JToken.DeepEquals(arr[i], arr[j])) return new Error($"{Short(inst)} has non-unique elements", inst, path);
                break;
            }
            case JValue v when v.Type == JTokenType.String:
            {
                var str = (string)v!;
                var len = CodePointLength(str);
                if (s["minLength"] is JValue minL && len < (long)minL) return new Error($"'{str}' is too short", inst, path);
                if (s["maxLength"] is JValue maxL && len > (long)maxL) return new Error($"'{str}' is too long", inst, path);
                if (s["pattern"] is JValue pat && !Rx((string)pat!).IsMatch(str)) return new Error($"'{str}' does not match '{(string)pat!}'", inst, path);
                break;
            }
            case JValue v when v.Type is JTokenType.Integer or JTokenType.Float:
            {
                var d = (double)v;
                if (s["minimum"] is JValue min && d < (double)min) return new Error($"{Short(inst)} is less than the minimum of {min}", inst, path);
                if (s["maximum"] is JValue max && d > (double)max) return new Error($"{Short(inst)} is greater than the maximum of {max}", inst, path);
                break;
            }
        }

        if (s["allOf"] is JArray all)
            foreach (var sub in all)
                if (Check(sub, inst, path) is { } e) return e;
        if (s["anyOf"] is JArray any && !any.Any(sub => Check(sub, inst, path) == null))
            return new Error($"{Short(inst)} is not valid under any of the given schemas", inst, path);
        if (s["oneOf"] is JArray one)
        {
            Error? firstError = null;
            var valid = 0;
            foreach (var sub in one)
            {
                var e = Check(sub, inst, path);
                if (e == null) valid++;
                else firstError ??= e;
            }
            if (valid == 0) return new Error($"{Short(inst)} is not valid under any of the given schemas", inst, path);
            if (valid > 1) return new Error($"{Short(inst)} is valid under each of several given schemas", inst, path);
        }
        if (s["if"] is { } cond)
        {
            var branch = Check(cond, inst, path) == null ? s["then"] : s["else"];
            if (branch != null && Check(branch, inst, path) is { } e) return e;
        }
        return null;
    }

    private JToken Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException("only local $ref: " + reference);
        JToken node = _root;
        foreach (var part in reference[2..].Split('/'))
            node = node[part.Replace("~1", "/").Replace("~0", "~")] ?? throw new InvalidOperationException("unresolvable $ref " + reference);
        return node;
    }

    private Regex Rx(string pattern)
    {
        if (!_regexes.TryGetValue(pattern, out var rx))
            _regexes[pattern] = rx = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return rx;
    }

    private static bool TypeMatches(JToken type, JToken inst) => type is JArray arr
        ? arr.Any(t => TypeMatches(t, inst))
        : (string)type! switch
        {
            "object" => inst.Type == JTokenType.Object,
            "array" => inst.Type == JTokenType.Array,
            "string" => inst.Type == JTokenType.String,
            "integer" => inst.Type == JTokenType.Integer || (inst.Type == JTokenType.Float && Math.Floor((double)inst) == (double)inst),
            "number" => inst.Type is JTokenType.Integer or JTokenType.Float,
            "boolean" => inst.Type == JTokenType.Boolean,
            "null" => inst.Type == JTokenType.Null,
            _ => false,
        };

    private static string TypeNames(JToken type) =>
        type is JArray arr ? string.Join(", ", arr.Select(t => $"'{t}'")) : $"'{type}'";

    private static int CodePointLength(string s)
    {
        var n = 0;
        for (var i = 0; i < s.Length; i++) { if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++; n++; }
        return n;
    }

    private static string Short(JToken t)
    {
        var s = t.ToString(Newtonsoft.Json.Formatting.None);
        return s.Length > 200 ? s[..200] + "..." : s;
    }
}
