using System.Security.Cryptography;
using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt;

/// <summary>Receives an encoded update produced by a transaction.</summary>
public delegate void UpdateHandler(byte[] update, object? origin, Transaction transaction);

/// <summary>
/// A Yjs-compatible shared document: named root types (<see cref="GetText"/>, <see cref="GetArray"/>, <see cref="GetMap"/>),
/// transactions, and updates in the v1 and v2 formats that npm yjs 13.6 reads and writes byte for byte.
/// Not thread-safe: use one document from one thread at a time.
/// </summary>
public sealed class Doc
{
    internal readonly StructStore Store = new();
    private readonly Dictionary<string, AbstractType> _share = new();
    private Transaction? _transaction;
    private readonly List<Transaction> _cleanups = new();

    public Doc(ulong? clientId = null, bool gc = true)
    {
        ClientId = clientId ?? GenerateClientId();
        Gc = gc;
    }

    /// <summary>The id under which local changes are recorded. Yjs 13.6 makes 32-bit ids; up to 2^53−1 is accepted.</summary>
    public ulong ClientId { get; set; }

    /// <summary>Whether deleted content is garbage-collected (Yjs's gc option).</summary>
    public bool Gc { get; set; }

    /// <summary>The transaction in progress, if any.</summary>
    public Transaction? CurrentTransaction => _transaction;

    /// <summary>v1 update of every transaction that changed something (Yjs 'update').</summary>
    public event UpdateHandler? Update;
    /// <summary>v2 update of every transaction that changed something (Yjs 'updateV2').</summary>
    public event UpdateHandler? UpdateV2;
    public event Action<Transaction>? BeforeObserverCalls;
    public event Action<Transaction>? AfterTransaction;

    internal static ulong GenerateClientId() => BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));

    public IReadOnlyDictionary<string, AbstractType> Share => _share;

    internal AbstractType GetOrCreateRoot(string name)
    {
        if (_share.TryGetValue(name, out var t)) return t;
        t = new UntypedRoot { RootName = name };
        t.IntegrateInto(this, null);
        _share[name] = t;
        return t;
    }

    private T Get<T>(string name, Func<T> create) where T : AbstractType
    {
        if (_share.TryGetValue(name, out var existing))
        {
            if (existing is T typed && existing.GetType() == typeof(T)) return typed;
            if (existing is not UntypedRoot)
                throw new InvalidOperationException($"Type with the name {name} has already been defined with a different constructor");
            // updates referred to this root before its type was known: convert it in place
            var t = create();
            t.AdoptFrom(existing);
            t.RootName = name;
            _share[name] = t;
            t.IntegrateInto(this, null);
            return t;
        }
        var nt = create();
        nt.RootName = name;
        nt.IntegrateInto(this, null);
        _share[name] = nt;
        return nt;
    }

    public YText GetText(string name) => Get(name, () => new YText());
    public YArray GetArray(string name) => Get(name, () => new YArray());
    public YMap GetMap(string name) => Get(name, () => new YMap());
    public YXmlFragment GetXmlFragment(string name) => Get(name, () => new YXmlFragment());

    /// <summary>Runs <paramref name="f"/> in a transaction; nested calls join the outer transaction.</summary>
    public void Transact(Action<Transaction> f, object? origin = null) => Transact(f, origin, true);

    public T Transact<T>(Func<Transaction, T> f, object? origin = null)
    {
        var result = default(T)!;
        Transact(tr => { result = f(tr); }, origin, true);
        return result;
    }

    internal void Transact(Action<Transaction> f, object? origin, bool local)
    {
        var initialCall = false;
        if (_transaction is null)
        {
            initialCall = true;
            _transaction = new Transaction(this, origin, local);
            _cleanups.Add(_transaction);
        }
        try
        {
            f(_transaction);
        }
        finally
        {
            if (initialCall)
            {
                // transactions started by observers during cleanup are queued and cleaned up by the outer loop
                var finishCleanup = _transaction == _cleanups[0];
                _transaction = null;
                if (finishCleanup) Transaction.Cleanup(_cleanups, 0);
            }
        }
    }

    internal void RaiseBeforeObserverCalls(Transaction tr) => BeforeObserverCalls?.Invoke(tr);
    internal void RaiseAfterTransaction(Transaction tr) => AfterTransaction?.Invoke(tr);

    internal void RaiseUpdates(Transaction tr)
    {
        if (Update is null && UpdateV2 is null) return;
        if (!tr.HasChanges()) return;
        if (Update is not null)
        {
            var enc = new UpdateEncoderV1();
            tr.WriteUpdate(enc);
            Update(enc.ToArray(), tr.Origin, tr);
        }
        if (UpdateV2 is not null)
        {
            var enc = new UpdateEncoderV2();
            tr.WriteUpdate(enc);
            UpdateV2(enc.ToArray(), tr.Origin, tr);
        }
    }

    /// <summary>
    /// Applies a v1 update (Y.applyUpdate). The update is decoded and checked completely first; a malformed
    /// update throws <see cref="CrdtFormatException"/> and leaves the document unchanged.
    /// </summary>
    public void ApplyUpdate(byte[] update, object? origin = null) => Apply(update, false, origin);

    /// <summary>Applies a v2 update (Y.applyUpdateV2).</summary>
    public void ApplyUpdateV2(byte[] update, object? origin = null) => Apply(update, true, origin);

    private void Apply(byte[] update, bool v2, object? origin)
    {
        // decode and validate everything first: a malformed update must not change the document
        var decoded = UpdateReader.Read(update, v2);
        Transact(tr => UpdateApply.Apply(tr, decoded), origin, false);
    }

    /// <summary>Y.encodeStateAsUpdate: everything the peer with <paramref name="encodedStateVector"/> lacks (all of it by default).</summary>
    public byte[] EncodeStateAsUpdate(byte[]? encodedStateVector = null) =>
        UpdateWriter.EncodeStateAsUpdate(this, DecodeSv(encodedStateVector), false);

    public byte[] EncodeStateAsUpdateV2(byte[]? encodedStateVector = null) =>
        UpdateWriter.EncodeStateAsUpdate(this, DecodeSv(encodedStateVector), true);

    private static IReadOnlyDictionary<ulong, int> DecodeSv(byte[]? sv) =>
        sv is null ? new Dictionary<ulong, int>() : StateVector.Decode(sv);

    /// <summary>Y.encodeStateVector (identical in v1 and v2).</summary>
    public byte[] EncodeStateVector() => StateVector.Encode(Store.GetStateVector());

    public IReadOnlyDictionary<ulong, int> GetStateVector() => Store.GetStateVector();

    /// <summary>Whether updates are waiting for missing dependencies (Yjs store.pendingStructs / pendingDs).</summary>
    public bool HasPendingUpdates => Store.PendingStructs is not null || Store.PendingDs is not null;

    public IReadOnlyDictionary<ulong, int>? PendingMissing => Store.PendingMissing;
}
