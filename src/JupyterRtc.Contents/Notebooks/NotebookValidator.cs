using Newtonsoft.Json.Linq;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// Validates notebooks against our nbformat v4 schema (<c>schema/nbformat.v4.schema.json</c>, embedded) plus the rule
/// a schema cannot state: cell ids are unique. Returns Jupyter's <c>message</c> text for an invalid notebook, which is
/// still served (200) and saved, as Jupyter Server does.
/// </summary>
public static class NotebookValidator
{
    private static readonly Lazy<JsonSchemaValidator> Schema = new(() =>
    {
        using var stream = typeof(NotebookValidator).Assembly.GetManifestResourceStream("nbformat.v4.schema.json")
            ?? throw new InvalidOperationException("nbformat schema is not embedded");
        using var reader = new StreamReader(stream);
        return new JsonSchemaValidator(JObject.Parse(reader.ReadToEnd()));
    });

    /// <summary>Null when valid, else the first error (message and offending instance).</summary>
    public static JsonSchemaValidator.Error? Validate(JToken notebook)
    {
        if (Schema.Value.Validate(notebook) is { } error) return error;
        if (notebook["cells"] is JArray cells)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var cell in cells)
                if (cell["id"] is JValue { Type: JTokenType.String } id && !seen.Add((string)id!))
                    return new JsonSchemaValidator.Error($"Non-unique cell id '{(string)id!}' detected.", cell, "/cells");
        }
        return null;
    }

    /// <summary>The model's <c>message</c> as Jupyter Server words it, or null for a valid notebook.</summary>
    public static string? ValidationMessage(JToken notebook)
    {
        var error = Validate(notebook);
        if (error == null) return null;
        return $"Notebook validation failed: {error.Message}:\n{PythonJson.Dumps(error.Instance, sortKeys: false)}";
    }
}
