using System.Diagnostics;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Crdt.Tests;

/// <summary>
/// Malformed updates raise <see cref="CrdtFormatException"/> and leave the document exactly as it was;
/// nothing hangs or allocates without bound. Includes a small mutation fuzzer over valid updates.
/// </summary>
public class MalformedTests
{
    private static Doc SampleDoc(ulong client)
    {
        var d = new Doc(client);
        var t = d.GetText("t");
        t.Insert(0, "hello 😀 world");
        t.Format(2, 5, [new("bold", true)]);
        t.Delete(3, 2);
        var m = d.GetMap("m");
        m.Set("k", 1.5);
        m.Set("k", "v");
        var arr = new YArray();
        m.Set("arr", arr);
        arr.Insert(0, 1, "x", null, new byte[] { 1, 2 });
        var inner = new YMap();
        arr.Push(inner);
        inner.Set("deep", true);
        d.GetArray("a").Insert(0, "a", "b", "c");
        d.GetArray("a").Delete(1, 1);
        return d;
    }

    private static IEnumerable<(byte[] Update, bool V2)> ValidUpdates()
    {
        var d = SampleDoc(7);
        yield return (d.EncodeStateAsUpdate(), false);
        yield return (d.EncodeStateAsUpdateV2(), true);
        var e = SampleDoc(8);
        var ups = new List<(byte[], bool)>();
        e.Update += (u, _, _) => ups.Add((u, false));
        e.UpdateV2 += (u, _, _) => ups.Add((u, true));
        e.GetText("t").Insert(3, "abc", [new("italic", true)]);
        e.GetMap("m").Delete("k");
        e.GetArray("a").Delete(0, 2);
        foreach (var u in ups) yield return u;
    }

    private static void AssertRejectedAtomically(Doc target, byte[] update, bool v2)
    {
        var before = target.EncodeStateAsUpdate();
        var beforeText = target.GetText("t").ToString();
        var sw = Stopwatch.StartNew();
        try
        {
            if (v2) target.ApplyUpdateV2(update); else target.ApplyUpdate(update);
            return; // a mutation can still be a valid update
        }
        catch (CrdtFormatException)
        {
        }
        finally
        {
            Assert.True(sw.ElapsedMilliseconds < 2000, "decoding took too long");
        }
        Assert.Equal(Hex.Of(before), Hex.Of(target.EncodeStateAsUpdate()));
        Assert.Equal(beforeText, target.GetText("t").ToString());
    }

    [Fact]
    public void TruncatedUpdatesAreRejected()
    {
        foreach (var (u, v2) in ValidUpdates())
        {
            for (var n = 0; n < u.Length; n++)
            {
                var target = SampleDoc(3);
                var cut = u[..n];
                try
                {
                    if (v2) target.ApplyUpdateV2(cut); else target.ApplyUpdate(cut);
                }
                catch (CrdtFormatException)
                {
                    continue;
                }
                // a few prefixes happen to be complete updates (e.g. a v2 update whose rest stream is cut after the structs)
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("ff ff ff ff ff ff ff ff ff ff")]
    [InlineData("01 ff ff ff ff 0f 01 00")]                  // 2^32 structs claimed
    [InlineData("01 01 01 00 04 01 01 74 ff ff ff ff 0f 61")] // string longer than the update
    [InlineData("01 01 01 00 0b 00")]                        // unknown content ref 11
    [InlineData("01 01 01 00 07 01 01 74 09")]               // unknown type ref 9
    [InlineData("01 01 01 00 86 01 05 01 61 01 62 00")]      // origin ahead of the item's own clock
    [InlineData("01 01 01 00 05 01 01 74 03 7b 61 7d 00")]   // embed that is not JSON
    [InlineData("00 01 01 01 00 00")]                        // a delete range of length 0
    [InlineData("01 01 01 ff ff ff ff 0f 04 01 01 74 01 61 00")] // clock beyond 2^31
    [InlineData("00 75 75 75 75")]                           // v2: columns longer than the update
    public void GarbageIsRejected(string hex)
    {
        var bytes = Hex.Parse(hex);
        var target = SampleDoc(3);
        var before = target.EncodeStateAsUpdate();
        Assert.Throws<CrdtFormatException>(() => target.ApplyUpdate(bytes));
        Assert.Equal(Hex.Of(before), Hex.Of(target.EncodeStateAsUpdate()));
        AssertRejectedAtomically(target, bytes, true);
    }

    [Fact]
    public void RandomBytesAreRejected()
    {
        var rng = new Random(7);
        var target = SampleDoc(3);
        var before = target.EncodeStateAsUpdate();
        var accepted = 0;
        for (var i = 0; i < 4000; i++)
        {
            var bytes = new byte[rng.Next(0, 64)];
            rng.NextBytes(bytes);
            try
            {
                if (i % 2 == 0) target.ApplyUpdate(bytes); else target.ApplyUpdateV2(bytes);
                accepted++;
                before = target.EncodeStateAsUpdate();
            }
            catch (CrdtFormatException)
            {
                Assert.Equal(before, target.EncodeStateAsUpdate());
            }
        }
        Assert.True(accepted < 400, $"{accepted} random byte strings were accepted");
    }

    [Fact]
    public void HugeLengthsDoNotAllocate()
    {
        // a v2 update whose info column repeats forever and claims many structs: bounded by the update size
        var target = new Doc(1);
        var bytes = Hex.Parse("00 00 01 01 00 00 01 00 00 00 00 00 01 ff ff ff ff 0f 01 00");
        Assert.Throws<CrdtFormatException>(() => target.ApplyUpdateV2(bytes));
    }

    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("CRDT_FUZZ"), out var n) ? n : 3000;

    [Fact]
    public void MutationFuzzer()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CRDT_FUZZ_SEED"), out var s) ? s : 1234;
        var rng = new Random(seed);
        var valid = ValidUpdates().ToList();
        var accepted = 0;
        for (var iter = 0; iter < Iterations; iter++)
        {
            var (u, v2) = valid[rng.Next(valid.Count)];
            var m = (byte[])u.Clone();
            var kind = rng.Next(4);
            switch (kind)
            {
                case 0: m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: m[rng.Next(m.Length)] = (byte)rng.Next(256); break;
                case 2:
                {
                    var l = m.ToList();
                    l.Insert(rng.Next(l.Count + 1), (byte)rng.Next(256));
                    m = l.ToArray();
                    break;
                }
                default:
                {
                    var l = m.ToList();
                    l.RemoveAt(rng.Next(l.Count));
                    m = l.ToArray();
                    break;
                }
            }
            var target = SampleDoc(3);
            var before = target.EncodeStateAsUpdate();
            try
            {
                if (v2) target.ApplyUpdateV2(m); else target.ApplyUpdate(m);
                accepted++;
                // whatever was accepted must still encode and decode
                var again = new Doc(4);
                again.ApplyUpdate(target.EncodeStateAsUpdate());
                again.ApplyUpdateV2(target.EncodeStateAsUpdateV2());
            }
            catch (CrdtFormatException)
            {
                Assert.Equal(Hex.Of(before), Hex.Of(target.EncodeStateAsUpdate()));
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iter}: mutated update {Hex.Of(m)} (v2={v2}) threw {e}");
            }
        }
        Assert.True(accepted < Iterations);
    }
}

public class DeepNestingTests
{
    private static void RunOnSmallStack(Action f)
    {
        Exception? error = null;
        var t = new Thread(() => { try { f(); } catch (Exception e) { error = e; } }, 256 * 1024);
        t.Start();
        t.Join();
        if (error is not null) throw error;
    }

    [Fact]
    public void DeletingDeeplyNestedTypesDoesNotOverflowTheStack()
    {
        var a = new Doc(1);
        var root = a.GetMap("m");
        a.Transact(_ =>
        {
            var cur = root;
            for (var i = 0; i < 50_000; i++)
            {
                var next = new YMap();
                cur.Set("k", next);
                cur = next;
            }
        });
        // serializing it fails cleanly instead of overflowing the stack
        Assert.Throws<InsufficientExecutionStackException>(() => RunOnSmallStack(() => root.ToJson()));
        var update = a.EncodeStateAsUpdate();
        var b = new Doc(2);
        b.ApplyUpdate(update);
        var updates = new List<byte[]>();
        b.Update += (u, _, _) => updates.Add(u);
        b.GetMap("m").Delete("k");
        Assert.Empty(b.GetMap("m").Keys);
        // the deletion travels back, and the collected document still encodes and decodes
        a.ApplyUpdate(updates[0]);
        Assert.Empty(a.GetMap("m").Keys);
        var c = new Doc(3);
        c.ApplyUpdateV2(b.EncodeStateAsUpdateV2());
        Assert.Equal(b.EncodeStateAsUpdate(), c.EncodeStateAsUpdate());
    }
}

/// <summary>Crafted updates that would make a naive implementation quadratic must still apply quickly.</summary>
public class HostileUpdateSpeedTests
{
    private static Doc ManyStructs()
    {
        var d = new Doc(1);
        var t = d.GetText("t");
        // alternate inserts and deletes so that many structs remain (deleted and not)
        for (var i = 0; i < 20_000; i++) t.Insert(i, "ab");
        for (var i = 0; i < 10_000; i++) t.Delete(i, 1);
        return d;
    }

    private static void Timed(Action f, int maxMs)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        f();
        Assert.True(sw.ElapsedMilliseconds < maxMs, $"took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void OverlappingDeleteRanges()
    {
        var d = ManyStructs();
        var w = new Encoding.Lib0Writer();
        w.WriteVarUint(0UL);          // no structs
        w.WriteVarUint(1UL);          // one client in the delete set
        w.WriteVarUint(1UL);
        const int ranges = 50_000;
        w.WriteVarUint((ulong)ranges);
        for (var i = 0; i < ranges; i++) { w.WriteVarUint(0UL); w.WriteVarUint(40_000UL); }
        Timed(() => d.ApplyUpdate(w.ToArray()), 10_000);
        Assert.Equal("", d.GetText("t").ToString());
    }

    [Fact]
    public void LongDependencyChainAcrossClients()
    {
        // client k's only item has its origin in client k+1, whose item depends on k+2, ..., the last one is missing
        const int n = 30_000;
        var w = new Encoding.Lib0Writer();
        w.WriteVarUint((ulong)n);
        for (var k = 0; k < n; k++)
        {
            var client = (ulong)(100 + k);
            w.WriteVarUint(1UL);
            w.WriteVarUint(client);
            w.WriteVarUint(0UL);
            w.WriteUint8(0x84);           // string with origin
            w.WriteVarUint(client + 1);   // origin (client+1, 0)
            w.WriteVarUint(0UL);
            w.WriteVarString("x");
        }
        w.WriteVarUint(0UL);
        var d = new Doc(1);
        Timed(() => d.ApplyUpdate(w.ToArray()), 10_000);
        Assert.True(d.HasPendingUpdates);
        Assert.Equal("", d.GetText("t").ToString());
    }

    [Fact]
    public void RepeatedClientBlocks()
    {
        const int n = 60_000;
        var w = new Encoding.Lib0Writer();
        w.WriteVarUint((ulong)n);
        for (var k = 0; k < n; k++)
        {
            w.WriteVarUint(1UL);
            w.WriteVarUint(5UL);
            w.WriteVarUint(0UL);
            w.WriteUint8(0x04);
            w.WriteVarUint(1UL);
            w.WriteVarString("t");
            w.WriteVarString("z");
        }
        w.WriteVarUint(0UL);
        var d = new Doc(1);
        Timed(() => d.ApplyUpdate(w.ToArray()), 10_000);
        Assert.Equal("z", d.GetText("t").ToString());
    }
}
