using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Contents;

/// <summary>
/// Jupyter's contents model. Every key is always written (clients check them with <c>hasOwnProperty</c>), in Jupyter
/// Server 2.x's order. <see cref="Content"/> is a list of child models (directory), a string (file) or the notebook
/// JSON (notebook), or null when content was not asked for.
/// </summary>
public sealed class ContentsModel
{
    public required string Name { get; init; }
    public required string Path { get; init; }
    public required string Type { get; init; }       // "directory" | "file" | "notebook"
    public DateTime LastModified { get; init; }
    public DateTime Created { get; init; }
    public object? Content { get; set; }
    public string? Format { get; set; }
    public string? Mimetype { get; set; }
    public long? Size { get; init; }
    public bool Writable { get; init; }
    public string? Hash { get; set; }
    public string? HashAlgorithm { get; set; }
    /// <summary>Only on notebooks that fail validation (they are still served and saved).</summary>
    public string? Message { get; set; }

    public void WriteTo(JsonWriter w)
    {
        w.WriteStartObject();
        w.WritePropertyName("name"); w.WriteValue(Name);
        w.WritePropertyName("path"); w.WriteValue(Path);
        w.WritePropertyName("last_modified"); w.WriteValue(Timestamps.Format(LastModified));
        w.WritePropertyName("created"); w.WriteValue(Timestamps.Format(Created));
        w.WritePropertyName("content");
        switch (Content)
        {
            case null: w.WriteNull(); break;
            case string s: w.WriteValue(s); break;
            case JToken t: t.WriteTo(w); break;
            case IReadOnlyList<ContentsModel> children:
                w.WriteStartArray();
                foreach (var c in children) c.WriteTo(w);
                w.WriteEndArray();
                break;
            default: throw new InvalidOperationException("unexpected content type " + Content.GetType());
        }
        w.WritePropertyName("format"); w.WriteValue(Format);
        w.WritePropertyName("mimetype"); w.WriteValue(Mimetype);
        w.WritePropertyName("size"); w.WriteValue(Size);
        w.WritePropertyName("writable"); w.WriteValue(Writable);
        w.WritePropertyName("hash"); w.WriteValue(Hash);
        w.WritePropertyName("hash_algorithm"); w.WriteValue(HashAlgorithm);
        w.WritePropertyName("type"); w.WriteValue(Type);
        if (Message != null) { w.WritePropertyName("message"); w.WriteValue(Message); }
        w.WriteEndObject();
    }

    public string ToJson()
    {
        using var sw = new StringWriter();
        using (var w = new JsonTextWriter(sw)) WriteTo(w);
        return sw.ToString();
    }
}

/// <summary>A checkpoint as the API lists it.</summary>
public sealed record CheckpointModel(string Id, DateTime LastModified)
{
    public JObject ToJson() => new() { ["id"] = Id, ["last_modified"] = Timestamps.Format(LastModified) };
}
