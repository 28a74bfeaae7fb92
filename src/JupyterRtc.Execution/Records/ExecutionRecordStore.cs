using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Execution.Records;

/// <summary>
/// The record of executions: appended as JSON lines to a file, one line when an execution starts and one when it ends
/// (a later line of the same id replaces the earlier), the most recent kept in memory for listing. Read back from the
/// file at start, where an execution that started and never ended (the server stopped or crashed meanwhile) is
/// listed as <c>server_stopped</c>.
/// </summary>
public sealed class ExecutionRecordStore : IDisposable
{
    private readonly string? _path;
    private readonly int _max;
    private readonly ILogger _log;
    private readonly LinkedList<ExecutionRecord> _records = new();
    private readonly Dictionary<string, LinkedListNode<ExecutionRecord>> _byId = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private FileStream? _file;

    public ExecutionRecordStore(string? path, int maxInMemory, ILogger log)
    {
        _path = path;
        _max = Math.Max(1, maxInMemory);
        _log = log;
        if (path == null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path))
        {
            var skipped = 0;
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0) continue;
                try
                {
                    if (JsonSerializer.Deserialize<ExecutionRecord>(line) is { } r) Keep(r);
                }
                catch (JsonException) { skipped++; }
            }
            if (skipped > 0) log.LogWarning("Execution records: skipped {Count} unreadable lines of {Path}", skipped, path);
            for (var n = _records.First; n != null; n = n.Next)
                if (n.Value.Status is "queued" or "running" or "input") n.Value = n.Value with { Status = "server_stopped" };
        }
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    private void Keep(ExecutionRecord r)
    {
        if (_byId.Remove(r.Id, out var earlier)) _records.Remove(earlier);
        _byId[r.Id] = _records.AddLast(r);
        while (_records.Count > _max)
        {
            _byId.Remove(_records.First!.Value.Id);
            _records.RemoveFirst();
        }
    }

    public void Add(ExecutionRecord record)
    {
        lock (_lock)
        {
            Keep(record);
            if (_file == null) return;
            try
            {
                var line = JsonSerializer.SerializeToUtf8Bytes(record);
                _file.Write(line);
                _file.WriteByte((byte)'\n');
                _file.Flush();
            }
            catch (IOException e) { _log.LogError("Execution records: writing {Path} failed: {Error}", _path, e.Message); }
        }
    }

    /// <summary>The records that match, newest first.</summary>
    public List<ExecutionRecord> List(Func<ExecutionRecord, bool> match, int limit)
    {
        var list = new List<ExecutionRecord>();
        lock (_lock)
        {
            for (var n = _records.Last; n != null && list.Count < limit; n = n.Previous)
                if (match(n.Value)) list.Add(n.Value);
        }
        return list;
    }

    public void Dispose()
    {
        lock (_lock) { _file?.Dispose(); _file = null; }
    }
}
