using System.Text.Json;
using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Contents;

/// <summary>
/// Jupyter's contents model. Every key is always written (clients check them with <c>hasOwnProperty</c>), in Jupyter
/// Server 2.x's order. <see cref="Content"/> is a list of child models (directory), a string (file), a
/// <see cref="NotebookContent"/> (notebook), or null when content was not asked for.
/// </summary>
public sealed class ContentsModel : IDisposable
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
    public string? Message
    {
        get
        {
            if (_pendingMessage != null)
            {
                // Wait() runs the validation on this thread if no other thread has picked it up yet.
                _pendingMessage.Wait();
                _message = _pendingMessage.Result;
                _pendingMessage = null;
            }
            return _message;
        }
        set { _message = value; _pendingMessage = null; }
    }
    private string? _message;
    private Task<string?>? _pendingMessage;

    /// <summary>A message still being computed (notebook validation running while the content is written).</summary>
    public void DeferMessage(Task<string?> message) => _pendingMessage = message;

    public void WriteTo(Utf8JsonWriter w) => WriteToAsync(w, afterCell: null).GetAwaiter().GetResult();   // no awaits without afterCell

    /// <summary>
    /// Writes the model; for a notebook, <paramref name="afterCell"/> is called after each cell, where the caller may send
    /// what was written so far. The validation message, which may still be computed beside the writing, comes last.
    /// </summary>
    public async ValueTask WriteToAsync(Utf8JsonWriter w, Func<ValueTask>? afterCell)
    {
        w.WriteStartObject();
        w.WriteString("name", Name);
        w.WriteString("path", Path);
        w.WriteString("last_modified", Timestamps.Format(LastModified));
        w.WriteString("created", Timestamps.Format(Created));
        w.WritePropertyName("content");
        switch (Content)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case NotebookContent nb: await NotebookFormat.WriteForClientAsync(w, nb.Root, nb.Trusted, afterCell); break;
            case IReadOnlyList<ContentsModel> children:
                w.WriteStartArray();
                foreach (var c in children) c.WriteTo(w);
                w.WriteEndArray();
                break;
            default: throw new InvalidOperationException("unexpected content type " + Content.GetType());
        }
        if (_pendingMessage != null && afterCell != null) await _pendingMessage;   // not a blocking wait while streaming
        WriteNullable(w, "format", Format);
        WriteNullable(w, "mimetype", Mimetype);
        if (Size is { } size) w.WriteNumber("size", size); else w.WriteNull("size");
        w.WriteBoolean("writable", Writable);
        WriteNullable(w, "hash", Hash);
        WriteNullable(w, "hash_algorithm", HashAlgorithm);
        w.WriteString("type", Type);
        if (Message != null) w.WriteString("message", Message);
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value == null) w.WriteNull(name); else w.WriteString(name, value);
    }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, NotebookFormat.ClientWriterOptions)) WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public void Dispose() => (Content as NotebookContent)?.Dispose();
}

/// <summary>A notebook as read from disk (a parsed document) and whether its signature makes its code cells trusted.</summary>
/// <param name="readers">work still reading the document on another thread (a large notebook's validation): the
/// document is disposed only once it is done, even when the response is abandoned half-way</param>
/// <param name="release">called after the document is disposed (it gives back the buffer the document reads)</param>
public sealed class NotebookContent(JsonTape document, bool trusted, Task? readers = null, Action? release = null) : IDisposable
{
    public TapeValue Root => document.Root;
    public bool Trusted { get; } = trusted;
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (readers is { IsCompleted: false }) readers.ContinueWith(_ => Free(), TaskScheduler.Default);
        else Free();
    }

    private void Free()
    {
        document.Dispose();
        release?.Invoke();
    }
}

/// <summary>A checkpoint as the API lists it.</summary>
public sealed record CheckpointModel(string Id, DateTime LastModified)
{
    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("last_modified", Timestamps.Format(LastModified));
        w.WriteEndObject();
    }
}
