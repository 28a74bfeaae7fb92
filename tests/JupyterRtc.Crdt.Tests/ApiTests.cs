using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Crdt.Tests;

/// <summary>The public API: transactions, events, prelim content, client id collisions.</summary>
public class ApiTests
{
    [Theory]
    [InlineData("x")]          // ASCII: kept compact until the merged text passes 4,096 characters
    [InlineData("é")]
    public void Long_texts_appended_at_the_end_merge_without_losing_anything(string letter)
    {
        // A stream output or a flood of edits: each piece merges into the item before it, the text grows past the
        // length from which it is kept in a builder, and every replica has all of it.
        var a = new Doc(1);
        var b = new Doc(2);
        a.Update += (u, _, _) => b.ApplyUpdate(u);
        var text = a.GetText("t");
        var expected = new System.Text.StringBuilder();
        foreach (var n in new[] { 40, 3000, 40_000, 5, 40_000 })
        {
            var piece = string.Concat(Enumerable.Repeat(letter, n));
            text.Insert(text.Length, piece);
            expected.Append(piece);
        }
        Assert.Equal(expected.ToString(), text.ToString());
        Assert.Equal(expected.ToString(), b.GetText("t").ToString());
        var c = new Doc(3);
        c.ApplyUpdateV2(a.EncodeStateAsUpdateV2());
        Assert.Equal(expected.ToString(), c.GetText("t").ToString());
        Assert.Equal(a.EncodeStateAsUpdate(), c.EncodeStateAsUpdate());
    }

    [Fact]
    public void NestedTransactionsMakeOneUpdateWithTheOrigin()
    {
        var d = new Doc(1);
        var seen = new List<(byte[] Update, object? Origin)>();
        d.Update += (u, o, _) => seen.Add((u, o));
        d.Transact(_ =>
        {
            d.GetText("t").Insert(0, "ab");
            d.Transact(_ => d.GetMap("m").Set("k", 1));
        }, "me");
        Assert.Single(seen);
        Assert.Equal("me", seen[0].Origin);
        var e = new Doc(2);
        e.ApplyUpdate(seen[0].Update);
        Assert.Equal("ab", e.GetText("t").ToString());
        Assert.Equal(1.0, ((AnyValue)e.GetMap("m").Get("k")!).AsNumber());
    }

    [Fact]
    public void EventsLookLikeYjs()
    {
        var d = new Doc(1);
        var arr = d.GetArray("a");
        var map = d.GetMap("m");
        var text = d.GetText("t");
        arr.Push(1, 2, 3);
        map.Set("x", "old");
        text.Insert(0, "hello");
        var log = new List<string>();
        arr.Observe += (e, _) => log.Add("array " + DeltaOp.ToAny(e.Delta));
        map.Observe += (e, _) => log.Add("map " + string.Join(",", e.Keys.Select(k => $"{k.Key}:{k.Value.Action}:{k.Value.OldValue}")));
        text.Observe += (e, _) => log.Add("text " + DeltaOp.ToAny(e.Delta));
        d.Transact(_ =>
        {
            arr.Insert(1, "a");
            arr.Delete(3, 1);
            map.Set("x", "new");
            map.Set("y", true);
            text.Insert(5, "!", [new("bold", true)]);
            text.Delete(0, 1);
        });
        Assert.Equal(
        [
            "array [{\"retain\":1},{\"insert\":[\"a\"]},{\"retain\":1},{\"delete\":1}]",
            "map x:Update:\"old\",y:Add:",
            "text [{\"delete\":1},{\"retain\":4},{\"insert\":\"!\",\"attributes\":{\"bold\":true}}]",
        ], log);
    }

    [Fact]
    public void DeepObserversSeePaths()
    {
        var d = new Doc(1);
        var root = d.GetMap("root");
        var inner = new YArray();
        root.Set("list", inner);
        var paths = new List<string>();
        root.ObserveDeep += (events, _) => paths.AddRange(events.Select(e => string.Join("/", e.Path)));
        inner.Push("x");
        var t = new YText("hi");
        inner.Push(t);
        t.Insert(2, "!");
        Assert.Equal(["list", "list", "list/1"], paths);
    }

    [Fact]
    public void PrelimContentIsInsertedWithTheType()
    {
        var d = new Doc(1);
        var m = new YMap();
        m.Set("b", 1);
        m.Set("a", 2);
        m.Set("b", 3);
        var arr = new YArray();
        arr.Push("x", m);
        d.GetArray("root").Push(arr);
        Assert.Equal("[[\"x\",{\"b\":3,\"a\":2}]]", d.GetArray("root").ToJson().ToString());
    }

    [Fact]
    public void RemoteChangeUnderOurClientIdPicksANewId()
    {
        var a = new Doc(7);
        a.GetText("t").Insert(0, "x");
        var b = new Doc(7);
        b.ApplyUpdate(a.EncodeStateAsUpdate());
        Assert.NotEqual(7UL, b.ClientId);
        b.GetText("t").Insert(1, "y");
        a.ApplyUpdate(b.EncodeStateAsUpdate());
        Assert.Equal("xy", a.GetText("t").ToString());
    }

    [Fact]
    public void PendingDeletesAreKeptAndApplied()
    {
        var a = new Doc(1);
        var ups = new List<byte[]>();
        a.Update += (u, _, _) => ups.Add(u);
        a.GetText("t").Insert(0, "abc");
        a.GetText("t").Delete(1, 1);
        var b = new Doc(2);
        b.ApplyUpdate(ups[1]); // the delete arrives first
        Assert.True(b.HasPendingUpdates);
        b.ApplyUpdate(ups[0]);
        Assert.Equal("ac", b.GetText("t").ToString());
        Assert.False(b.HasPendingUpdates);
        Assert.Equal(a.EncodeStateAsUpdate(), b.EncodeStateAsUpdate());
    }

    [Fact]
    public void UntypedRootsAreConvertedOnFirstUse()
    {
        var a = new Doc(1);
        a.GetText("t").Insert(0, "abc");
        var b = new Doc(2);
        b.ApplyUpdate(a.EncodeStateAsUpdate());
        Assert.Equal("abc", b.GetText("t").ToString());
        Assert.Throws<InvalidOperationException>(() => b.GetMap("t"));
    }
}

public class ObserverErrorTests
{
    [Fact]
    public void AThrowingObserverDoesNotStopOthersNorWedgeTheDocument()
    {
        var d = new Doc(1);
        var t = d.GetText("t");
        var calls = new List<string>();
        var updates = 0;
        t.Observe += (_, _) => { calls.Add("first"); throw new InvalidOperationException("boom"); };
        d.AfterTransaction += _ => calls.Add("after");
        d.Update += (_, _, _) => updates++;
        Assert.Throws<InvalidOperationException>(() => t.Insert(0, "a"));
        Assert.Equal(["first", "after"], calls);
        Assert.Equal(1, updates);
        // the next transaction works normally
        d.Update += (_, _, _) => throw new ArgumentException("listener");
        Assert.Throws<InvalidOperationException>(() => t.Insert(1, "b"));
        d.Transact(_ => { }); // an empty transaction still cleans up
        Assert.Equal("ab", t.ToString());
        Assert.Equal(2, updates); // the empty transaction emits nothing
    }
}
