using JupyterRtc.Crdt.Types;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Core;

/// <summary>
/// A batch of changes. Created by <see cref="Doc.Transact"/> (nested calls share the outer transaction);
/// at cleanup the observers run, deleted content is garbage-collected, adjacent structs are merged and the
/// update events fire, in Yjs's order, so that the structs and bytes match Yjs exactly.
/// </summary>
public sealed class Transaction
{
    public Doc Doc { get; }
    public object? Origin { get; }
    /// <summary>True for changes made through the API here, false for applied updates.</summary>
    public bool Local { get; internal set; }

    internal readonly DeleteSet DeleteSet = new();
    internal readonly Dictionary<ulong, int> BeforeState;
    internal Dictionary<ulong, int> AfterState = new();
    // a JS Map in Yjs: deleting a type removes its entry, and the order of the rest decides the order of events
    internal readonly OrderedMap<AbstractType, HashSet<string?>> Changed = new(ReferenceEqualityComparer.Instance);
    internal readonly Dictionary<AbstractType, List<YEvent>> ChangedParentTypes = new(ReferenceEqualityComparer.Instance);
    internal readonly List<StructBase> MergeStructs = new();
    internal bool NeedFormattingCleanup;
    internal readonly Stack<AbstractType> TypesToDelete = new();
    internal bool DeletingTypes;

    internal Transaction(Doc doc, object? origin, bool local)
    {
        Doc = doc;
        Origin = origin;
        Local = local;
        BeforeState = doc.Store.GetStateVector();
    }

    internal int BeforeStateOf(ulong client) => BeforeState.TryGetValue(client, out var c) ? c : 0;

    /// <summary>The state vector before this transaction.</summary>
    public IReadOnlyDictionary<ulong, int> BeforeStateVector => BeforeState;
    public IReadOnlyDictionary<ulong, int> AfterStateVector => AfterState;

    internal void AddChangedType(AbstractType type, string? parentSub)
    {
        var item = type.ItemField;
        if (item is null || (item.Clock < BeforeStateOf(item.Client) && !item.Deleted))
        {
            if (!Changed.TryGetValue(type, out var set))
            {
                set = new HashSet<string?>();
                Changed[type] = set;
            }
            set.Add(parentSub);
        }
    }

    /// <summary>Whether an item was inserted in this transaction.</summary>
    internal bool Adds(StructBase s) => s.Clock >= BeforeStateOf(s.Client);

    internal bool HasChanges()
    {
        if (!DeleteSet.IsEmpty) return true;
        foreach (var (client, clock) in AfterState)
            if (!BeforeState.TryGetValue(client, out var b) || b != clock) return true;
        return false;
    }

    /// <summary>The update that this transaction produced (structs since <see cref="BeforeState"/>, and its delete set).</summary>
    internal void WriteUpdate(UpdateEncoder enc)
    {
        DeleteSet.SortAndMerge();
        UpdateWriter.WriteClientsStructs(enc, Doc.Store, BeforeState);
        DeleteSet.Write(enc);
    }

    internal static void Cleanup(List<Transaction> cleanups, int i)
    {
        try
        {
            CleanupFrom(cleanups, i);
        }
        finally
        {
            // whatever happened, the document must not stay wedged with stale transactions queued
            cleanups.Clear();
        }
    }

    private static void CleanupFrom(List<Transaction> cleanups, int i)
    {
        while (i < cleanups.Count)
        {
            var tr = cleanups[i];
            var doc = tr.Doc;
            var store = doc.Store;
            var ds = tr.DeleteSet;
            // Like Yjs's callAll: every observer runs even if an earlier one throws; the first exception is rethrown
            // after the cleanup (GC, merging, update events) has completed.
            Exception? observerError = null;
            void Call(Action f)
            {
                try { f(); }
                catch (Exception e) { observerError ??= e; }
            }
            try
            {
                ds.SortAndMerge();
                tr.AfterState = store.GetStateVector();
                Call(() => doc.RaiseBeforeObserverCalls(tr));
                foreach (var (type, subs) in tr.Changed.ToList())
                {
                    if (type.ItemField is null || !type.ItemField.Deleted) Call(() => type.CallObserver(tr, subs));
                }
                // deep observers
                var deep = tr.ChangedParentTypes.Where(kv => kv.Key.HasDeepObservers && (kv.Key.ItemField is null || !kv.Key.ItemField.Deleted)).ToList();
                foreach (var (type, events) in deep)
                {
                    Call(() =>
                    {
                        var evs = events.Where(e => e.Target.ItemField is null || !e.Target.ItemField.Deleted).ToList();
                        foreach (var e in evs) e.SetCurrentTarget(type);
                        var sorted = evs.OrderBy(e => e.Path.Count).ToList();
                        type.CallDeepObservers(sorted, tr);
                    });
                }
                Call(() => doc.RaiseAfterTransaction(tr));
                if (tr.NeedFormattingCleanup) Call(() => YText.CleanupAfterTransaction(tr));
            }
            finally
            {
                if (doc.Gc) TryGcDeleteSet(ds, store);
                TryMergeDeleteSet(ds, store);
                foreach (var (client, clock) in tr.AfterState)
                {
                    var beforeClock = tr.BeforeStateOf(client);
                    if (beforeClock != clock)
                    {
                        var structs = store.Clients[client];
                        var firstChangePos = Math.Max(StructStore.FindIndex(structs, beforeClock), 1);
                        for (var k = structs.Count - 1; k >= firstChangePos;) k -= 1 + TryToMergeWithLefts(structs, k);
                    }
                }
                for (var k = tr.MergeStructs.Count - 1; k >= 0; k--)
                {
                    var ms = tr.MergeStructs[k];
                    var structs = store.Clients[ms.Client];
                    var replacedPos = StructStore.FindIndex(structs, ms.Clock);
                    if (replacedPos + 1 < structs.Count && TryToMergeWithLefts(structs, replacedPos + 1) > 1) continue;
                    if (replacedPos > 0) TryToMergeWithLefts(structs, replacedPos);
                }
                if (!tr.Local && tr.AfterState.TryGetValue(doc.ClientId, out var ac) && ac != tr.BeforeStateOf(doc.ClientId))
                {
                    // someone else uses our client id: pick a new one, as Yjs does
                    doc.ClientId = Doc.GenerateClientId();
                }
                try { doc.RaiseUpdates(tr); }
                catch (Exception e) { observerError ??= e; }
            }
            if (observerError is not null)
            {
                // finish the queued transactions before reporting the observer's exception
                CleanupFrom(cleanups, i + 1);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(observerError).Throw();
            }
            i++;
        }
    }

    private static void TryGcDeleteSet(DeleteSet ds, StructStore store)
    {
        foreach (var (client, deleteItems) in ds.Clients)
        {
            if (!store.Clients.TryGetValue(client, out var structs)) continue;
            for (var di = deleteItems.Count - 1; di >= 0; di--)
            {
                var d = deleteItems[di];
                var end = d.Clock + d.Len;
                for (var si = StructStore.FindIndex(structs, d.Clock); si < structs.Count; si++)
                {
                    var s = structs[si];
                    if (s.Clock >= end) break;
                    if (s is Item item && item.Deleted && !item.Keep) item.Gc(store, false);
                }
            }
        }
    }

    private static void TryMergeDeleteSet(DeleteSet ds, StructStore store)
    {
        // right to left, so that no merge target is missed
        foreach (var (client, deleteItems) in ds.Clients)
        {
            if (!store.Clients.TryGetValue(client, out var structs)) continue;
            for (var di = deleteItems.Count - 1; di >= 0; di--)
            {
                var d = deleteItems[di];
                var mostRight = Math.Min(structs.Count - 1, 1 + StructStore.FindIndex(structs, d.Clock + d.Len - 1));
                for (var si = mostRight; si > 0 && structs[si].Clock >= d.Clock;)
                    si -= 1 + TryToMergeWithLefts(structs, si);
            }
        }
    }

    /// <summary>Merges structs[pos] into its left neighbours as far as possible; returns how many were merged away.</summary>
    private static int TryToMergeWithLefts(List<StructBase> structs, int pos)
    {
        var i = pos;
        for (; i > 0; i--)
        {
            var right = structs[i];
            var left = structs[i - 1];
            if (left.Deleted != right.Deleted || left.GetType() != right.GetType() || !left.MergeWith(right)) break;
            if (right is Item ri && ri.ParentSub is not null && ri.Parent!.MapGet(ri.ParentSub) == ri)
                ri.Parent.MapSet(ri.ParentSub, (Item)left);
        }
        var merged = pos - i;
        if (merged > 0) structs.RemoveRange(pos + 1 - merged, merged);
        return merged;
    }
}
