// bench/crdt: replays the B4 editing trace (Kleppmann & Beresford, "A Conflict-Free Replicated JSON Datatype",
// CC-BY 4.0) with JupyterRtc.Crdt and compares with the numbers npm yjs produced in the same run (yjs.js).
// usage: CrdtBench <b4 dir> <yjs result json> <yjs outdir> <runs>
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using JupyterRtc.Crdt;

var dir = args[0];
var yjs = JsonDocument.Parse(File.ReadAllText(args[1])).RootElement;
var yjsOut = args[2];
var runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
const ulong clientId = 2661961782;

var edits = new List<(int Pos, int Del, string Ins)>();
using (var fs = File.OpenRead(Path.Combine(dir, "b4-edits.json")))
using (var json = JsonDocument.Parse(fs))
    foreach (var row in json.RootElement.EnumerateArray()) edits.Add((row[0].GetInt32(), row[1].GetInt32(), row[2].GetString()!));
var final = File.ReadAllText(Path.Combine(dir, "b4-final-text.txt"));

(double Ms, Doc Doc, long Bytes) Apply(bool listener)
{
    var doc = new Doc(clientId);
    long bytes = 0;
    if (listener) doc.UpdateV2 += (u, _, _) => bytes += u.Length;
    var text = doc.GetText("text");
    var sw = Stopwatch.StartNew();
    foreach (var (pos, del, ins) in edits)
    {
        if (del > 0) text.Delete(pos, del);
        if (ins.Length > 0) text.Insert(pos, ins);
    }
    var ms = sw.Elapsed.TotalMilliseconds;
    if (text.ToString() != final) throw new InvalidOperationException("wrong final text");
    return (ms, doc, bytes);
}

static double Median(List<double> xs)
{
    var s = xs.OrderBy(x => x).ToList();
    return s[s.Count / 2];
}

var results = new List<(string Metric, double Ours, double Peer)>();
void Result(string metric, double ours, string peerKey) => results.Add((metric, ours, yjs.GetProperty(peerKey).GetDouble()));

Apply(false); // warm-up (JIT)
var applyRuns = new List<double>();
Doc doc = null!;
for (var i = 0; i < runs; i++) { var r = Apply(false); applyRuns.Add(r.Ms); doc = r.Doc; }
Result("b4_apply_ms", Median(applyRuns), "b4_apply_ms");
var listenerRuns = new List<double>();
long updateBytes = 0;
for (var i = 0; i < runs; i++) { var r = Apply(true); listenerRuns.Add(r.Ms); updateBytes = r.Bytes; }
Result("b4_apply_listener_ms", Median(listenerRuns), "b4_apply_listener_ms");
Result("b4_updates_bytes", updateBytes, "b4_updates_bytes");

// the server's side of B4: every edit arrives as a v1 update from a client and is applied to the server's document
{
    var src = new Doc(clientId);
    var updates = new List<byte[]>();
    src.Update += (u, _, _) => updates.Add(u);
    var t = src.GetText("text");
    foreach (var (pos, del, ins) in edits)
    {
        if (del > 0) t.Delete(pos, del);
        if (ins.Length > 0) t.Insert(pos, ins);
    }
    var remoteRuns = new List<double>();
    for (var i = 0; i < runs + 1; i++)
    {
        var server = new Doc();
        var sw0 = Stopwatch.StartNew();
        foreach (var u in updates) server.ApplyUpdate(u);
        if (i > 0 || runs == 0) remoteRuns.Add(sw0.Elapsed.TotalMilliseconds); // the first run warms up the JIT
        if (server.GetText("text").ToString() != final) throw new InvalidOperationException("wrong remote text");
    }
    Result("b4_remote_apply_ms", Median(remoteRuns), "b4_remote_apply_ms");
}

var sw = Stopwatch.StartNew();
byte[] v1 = [], v2 = [];
var enc1 = new List<double>();
var enc2 = new List<double>();
for (var i = 0; i < 5; i++)
{
    sw.Restart();
    v1 = doc.EncodeStateAsUpdate();
    enc1.Add(sw.Elapsed.TotalMilliseconds);
    sw.Restart();
    v2 = doc.EncodeStateAsUpdateV2();
    enc2.Add(sw.Elapsed.TotalMilliseconds);
}
Result("encode_v1_ms", Median(enc1), "encode_v1_ms");
Result("encode_v2_ms", Median(enc2), "encode_v2_ms");
Result("v1_bytes", v1.Length, "v1_bytes");
Result("v2_bytes", v2.Length, "v2_bytes");

var d1Runs = new List<double>();
var d2Runs = new List<double>();
for (var i = 0; i < Math.Max(runs, 3); i++)
{
    sw.Restart();
    var d1 = new Doc();
    d1.ApplyUpdate(v1);
    _ = d1.GetText("text").ToString();
    d1Runs.Add(sw.Elapsed.TotalMilliseconds);
    sw.Restart();
    var d2 = new Doc();
    d2.ApplyUpdateV2(v2);
    _ = d2.GetText("text").ToString();
    d2Runs.Add(sw.Elapsed.TotalMilliseconds);
}
Result("decode_v1_ms", Median(d1Runs), "decode_v1_ms");
Result("decode_v2_ms", Median(d2Runs), "decode_v2_ms");

doc = null!;
GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
var before = GC.GetTotalMemory(true);
var kept = Apply(false).Doc;
var after = GC.GetTotalMemory(true);
Result("doc_heap_bytes", after - before, "doc_heap_bytes");
GC.KeepAlive(kept);

var identical = File.ReadAllBytes(Path.Combine(yjsOut, "yjs.v1.bin")).AsSpan().SequenceEqual(v1)
                && File.ReadAllBytes(Path.Combine(yjsOut, "yjs.v2.bin")).AsSpan().SequenceEqual(v2);
foreach (var (metric, ours, peer) in results)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT suite=crdt metric={metric} ours={ours:0.##} peer=yjs:{peer:0.##} ratio={(peer == 0 ? double.NaN : ours / peer):0.###}"));
Console.WriteLine($"RESULT suite=crdt metric=b4_bytes_identical ours={(identical ? "yes" : "no")}");
