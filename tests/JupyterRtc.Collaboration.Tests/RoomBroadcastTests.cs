using System.Collections.Concurrent;
using JupyterRtc.Collaboration.Protocol;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Encoding;
using Microsoft.Extensions.Logging.Abstractions;

namespace JupyterRtc.Collaboration.Tests;

/// <summary>How a room batches the changes it sends (Room.BroadcastIntervalPerClient): merged, complete, not echoed to a lone sender.</summary>
public class RoomBroadcastTests
{
    private sealed class FakeConnection(string name) : IRoomConnection
    {
        public ConcurrentQueue<byte[]> Frames { get; } = new();
        public string Name => name;
        public bool ReadOnly => false;
        public void Send(byte[] frame) => Frames.Enqueue(frame);
        public void Close(int code, string reason) { }

        /// <summary>The sync updates ([0, 2, update]) received, decoded.</summary>
        public List<byte[]> Updates() => Frames.Select(f =>
        {
            var r = new Lib0Reader(f);
            return r.ReadVarUint() == 0 && r.ReadVarUint() == 2 ? r.ReadVarUint8Array() : null;
        }).OfType<byte[]>().ToList();
    }

    private static byte[] Edit(Doc doc, string text)
    {
        byte[]? update = null;
        void Capture(byte[] u, object? o, JupyterRtc.Crdt.Core.Transaction t) => update = u;
        doc.Update += Capture;
        doc.GetText("t").Insert(doc.GetText("t").Length, text);
        doc.Update -= Capture;
        return RoomMessages.Update(update!);
    }

    private static async Task<(TransientRoom Room, FakeConnection A, FakeConnection B)> RoomWithTwoClients(TimeSpan interval)
    {
        var room = new TransientRoom("test-room", NullLogger.Instance) { BroadcastIntervalPerClient = interval };
        var a = new FakeConnection("a");
        var b = new FakeConnection("b");
        await room.JoinAsync(a);
        await room.JoinAsync(b);
        a.Frames.Clear();
        b.Frames.Clear();
        return (room, a, b);
    }

    [Fact]
    public async Task A_change_goes_out_at_once_and_those_within_the_interval_after_it_as_one_merged_update()
    {
        // 2.5 s per client, two clients: at most one broadcast every 5 s (wide, so that a stalled test thread still
        // sends "two " and "three" inside the interval).
        var (room, a, b) = await RoomWithTwoClients(TimeSpan.FromSeconds(2.5));
        var doc = new Doc();
        await room.ReceiveAsync(a, Edit(doc, "one "));
        await WaitUntil(() => b.Updates().Count == 1);
        foreach (var part in new[] { "two ", "three" }) await room.ReceiveAsync(a, Edit(doc, part));
        Assert.Single(b.Updates());                         // still inside the interval
        await WaitUntil(() => b.Updates().Count == 2);
        await Task.Delay(100);
        var updates = b.Updates();
        Assert.Equal(2, updates.Count);
        var copy = new Doc();
        foreach (var u in updates) copy.ApplyUpdate(u);
        Assert.Equal("one two three", copy.GetText("t").ToString());
        // A lone change is not sent back to its author; a merged batch goes to everyone (Yjs ignores what it has).
        Assert.Single(a.Updates());
        await room.DisposeAsync();
    }

    [Fact]
    public async Task With_no_interval_a_lone_change_goes_out_at_once_and_not_back_to_its_sender()
    {
        var (room, a, b) = await RoomWithTwoClients(TimeSpan.Zero);
        var doc = new Doc();
        await room.ReceiveAsync(a, Edit(doc, "hello"));
        await WaitUntil(() => b.Updates().Count > 0);
        var copy = new Doc();
        copy.ApplyUpdate(b.Updates().Single());
        Assert.Equal("hello", copy.GetText("t").ToString());
        await Task.Delay(50);
        Assert.Empty(a.Updates());
        Assert.Equal("hello", room.Doc.GetText("t").ToString());
        await room.DisposeAsync();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(condition(), "timed out");
    }
}
