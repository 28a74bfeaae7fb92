using System.Text.Json;

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
        // The schema document lives as long as the process.
        return new JsonSchemaValidator(JsonDocument.Parse(stream).RootElement);
    });

    /// <summary>Null when valid, else the first error (message and offending instance).</summary>
    public static JsonSchemaValidator.Error? Validate(TapeValue notebook)
    {
        if (Schema.Value.Validate(notebook) is { } error) return error;
        if (notebook.TryGetProperty("cells"u8, out var cells) && cells.ValueKind == JsonValueKind.Array)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var cell in cells.EnumerateArray())
                if (cell.ValueKind == JsonValueKind.Object && cell.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String && !seen.Add(id.GetString()!))
                    return new JsonSchemaValidator.Error($"Non-unique cell id '{id.GetString()}' detected.", cell, "/cells");
        }
        return null;
    }

    /// <summary><see cref="Validate(TapeValue)"/> of a notebook held in a JsonDocument (copied into a tape).</summary>
    public static JsonSchemaValidator.Error? Validate(JsonElement notebook)
    {
        var tape = JsonTape.From(notebook);    // not disposed: the error refers into it
        return Validate(tape.Root);
    }

    public static string? ValidationMessage(JsonElement notebook)
    {
        using var tape = JsonTape.From(notebook);
        return ValidationMessage(tape.Root);
    }

    /// <summary>The model's <c>message</c> as Jupyter Server words it, or null for a valid notebook.</summary>
    public static string? ValidationMessage(TapeValue notebook)
    {
        var error = Validate(notebook);
        return error == null ? null : $"Notebook validation failed: {error.Message}:\n{PythonJson.Dumps(error.Instance)}";
    }
}
