using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Tests;

/// <summary>
/// Well-formed but hostile updates: items whose origins, right origins and parents point anywhere in the document
/// (other types, map entries, deleted or collected structs, the future). Applying them must never throw anything but
/// <see cref="CrdtFormatException"/>, and the document must keep encoding and decoding.
/// </summary>
public class StructureFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Doc Base()
    {
        var d = new Doc(1);
        d.GetText("t").Insert(0, "hello world");
        d.GetText("t").Format(1, 3, [new("b", true)]);
        d.GetText("t").Delete(2, 2);
        var m = d.GetMap("m");
        m.Set("k", 1);
        m.Set("k", 2);
        var inner = new YArray();
        m.Set("arr", inner);
        inner.Push(1, 2, 3);
        var gone = new YMap();
        m.Set("gone", gone);
        gone.Set("x", "y");
        m.Delete("gone");
        d.GetArray("a").Push("p", "q");
        return d;
    }

    [Fact]
    public void HostileStructuresNeverBreakTheDocument()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CRDT_FUZZ_SEED"), out var s) ? s : 99;
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("CRDT_FUZZ"), out var n) ? n : 1500;
        var rng = new Random(seed);
        int rejected = 0, pending = 0, integrated = 0;
        for (var iter = 0; iter < iterations; iter++)
        {
            var doc = Base();
            var ids = doc.Store.Clients.SelectMany(kv => kv.Value.SelectMany(st => Enumerable.Range(st.Clock, st.Length).Select(c => new Id(kv.Key, c)))).ToList();
            Id RandomId() => rng.Next(8) == 0 ? new Id((ulong)rng.Next(1, 4), rng.Next(0, 60)) : ids[rng.Next(ids.Count)];
            var blocks = new List<(ulong, List<StructBase>)>();
            foreach (var client in new ulong[] { 2, 3 }.Where(_ => rng.Next(3) != 0))
            {
                var structs = new List<StructBase>();
                var clock = rng.Next(3) == 0 ? rng.Next(1, 5) : 0;
                for (var k = rng.Next(1, 6); k > 0; k--)
                {
                    StructBase st;
                    var kind = rng.Next(10);
                    if (kind == 0) st = new GcStruct(client, clock, rng.Next(1, 3));
                    else
                    {
                        Content content = rng.Next(5) switch
                        {
                            0 => new ContentAny([AnyValue.Number(rng.Next(10))]),
                            1 => new ContentFormat("b", rng.Next(2) == 0 ? AnyValue.True : AnyValue.Null),
                            2 => new ContentType(rng.Next(2) == 0 ? new YMap() : new YText()),
                            3 => new ContentDeleted(rng.Next(1, 3)),
                            _ => new ContentString(rng.Next(2) == 0 ? "xy" : "😀"),
                        };
                        Id? origin = rng.Next(3) != 0 ? RandomId() : null;
                        Id? rightOrigin = rng.Next(3) != 0 ? RandomId() : null;
                        var item = new Item(new Id(client, clock), null, origin, null, rightOrigin, null, rng.Next(4) == 0 ? "k" : null, content);
                        if (origin is null && rightOrigin is null)
                        {
                            if (rng.Next(2) == 0) item.ParentName = new[] { "t", "m", "a", "new" }[rng.Next(4)];
                            else item.ParentId = RandomId();
                        }
                        // same-client references must point backwards (the decoder rejects others); keep most valid
                        if (item.Origin is { } o && o.Client == client && o.Clock >= clock) item.Origin = null;
                        if (item.RightOrigin is { } ro && ro.Client == client && ro.Clock >= clock) item.RightOrigin = null;
                        if (item.ParentId is { } p && p.Client == client && p.Clock >= clock) item.ParentId = new Id(1, 0);
                        if (item.Origin is null && item.RightOrigin is null && item.ParentId is null && item.ParentName is null) item.ParentName = "t";
                        st = item;
                    }
                    structs.Add(st);
                    clock += st.Length;
                }
                blocks.Add((client, structs));
            }
            var ds = new DeleteSet();
            if (rng.Next(2) == 0) ds.Add((ulong)rng.Next(1, 4), rng.Next(0, 40), rng.Next(1, 5));
            var v2 = rng.Next(2) == 0;
            var update = UpdateWriter.EncodeStructs(blocks, ds, v2);
            try
            {
                if (v2) doc.ApplyUpdateV2(update); else doc.ApplyUpdate(update);
            }
            catch (CrdtFormatException)
            {
                rejected++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iter}: {e}");
            }
            if (doc.HasPendingUpdates) pending++; else integrated++;
            try
            {
                _ = doc.GetText("t").ToString();
                _ = doc.GetText("t").ToDelta();
                _ = doc.GetMap("m").ToJson();
                _ = doc.GetArray("a").ToJson();
                var again = new Doc(9);
                again.ApplyUpdate(doc.EncodeStateAsUpdate());
                again.ApplyUpdateV2(doc.EncodeStateAsUpdateV2());
                doc.GetText("t").Insert(0, "z");
                doc.GetMap("m").Set("k", 5);
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iter}: document broken after a hostile update: {e}");
            }
        }
        output.WriteLine($"rejected {rejected}, pending {pending}, integrated {integrated}");
        Assert.True(integrated > iterations / 6, $"only {integrated} of {iterations} hostile updates were integrated");
    }
}
