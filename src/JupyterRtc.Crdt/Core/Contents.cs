using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Core;

/// <summary>The payload of an <see cref="Item"/>. Ref numbers are the wire content refs (low 5 bits of the info byte).</summary>
internal abstract class Content
{
    public abstract int Length { get; }
    public abstract bool Countable { get; }
    public abstract int Ref { get; }

    /// <summary>Cuts this content at <paramref name="offset"/>: this keeps the left part, the right part is returned.</summary>
    public virtual Content Splice(int offset) => throw new InvalidOperationException($"{GetType().Name} cannot be split");

    public virtual bool MergeWith(Content right) => false;
    public virtual void Integrate(Transaction tr, Item item) { }
    public virtual void Delete(Transaction tr) { }
    public virtual void Gc(StructStore store) { }
    public abstract void Write(UpdateEncoder enc, int offset);

    /// <summary>The user-visible values (one per element).</summary>
    public virtual IEnumerable<object?> GetValues() => [];

    public static Content Read(UpdateDecoder dec, byte info)
    {
        switch (info & 0x1f)
        {
            case 1: return new ContentDeleted(dec.ReadLen());
            case 2:
            {
                var n = dec.ReadLen();
                if (n > dec.RemainingHint) throw new CrdtFormatException("ContentJSON length exceeds the update");
                var list = new List<AnyValue>(n);
                for (var i = 0; i < n; i++)
                {
                    var s = dec.ReadString();
                    list.Add(s == "undefined" ? AnyValue.Undefined : Json.Parse(s));
                }
                return new ContentJson(list);
            }
            case 3: return new ContentBinary(dec.ReadBuf());
            case 4: return new ContentString(dec.ReadString());
            case 5: return new ContentEmbed(dec.ReadJson());
            case 6: return new ContentFormat(dec.ReadKey(), dec.ReadJson());
            case 7: return new ContentType(AbstractType.ReadType(dec));
            case 8:
            {
                var n = dec.ReadLen();
                if (n > dec.RemainingHint) throw new CrdtFormatException("ContentAny length exceeds the update");
                var list = new List<AnyValue>(n);
                for (var i = 0; i < n; i++) list.Add(dec.ReadAny());
                return new ContentAny(list);
            }
            case 9:
            {
                var guid = dec.ReadString();
                var opts = dec.ReadAny();
                return new ContentDoc(guid, opts);
            }
            default: throw new CrdtFormatException($"Unknown content ref {info & 0x1f}");
        }
    }
}

internal sealed class ContentDeleted(int length) : Content
{
    private int _len = length;
    public override int Length => _len;
    public override bool Countable => false;
    public override int Ref => 1;

    public override Content Splice(int offset)
    {
        var right = new ContentDeleted(_len - offset);
        _len = offset;
        return right;
    }

    public override bool MergeWith(Content right)
    {
        _len += right.Length;
        return true;
    }

    public override void Integrate(Transaction tr, Item item)
    {
        tr.DeleteSet.Add(item.Client, item.Clock, _len);
        item.MarkDeleted();
    }

    public override void Write(UpdateEncoder enc, int offset) => enc.WriteLen(_len - offset);
}

internal sealed class ContentString : Content
{
    /// <summary>
    /// Above this length a string that keeps growing by merges (a stream output appended chunk by chunk, a long text
    /// typed at its end) is kept in a builder: concatenating strings would copy the whole text on every merge, which
    /// makes appending n chunks cost n² characters.
    /// </summary>
    private const int BuilderThreshold = 4096;

    /// <summary>
    /// From this length a text that is all ASCII (most code, most outputs) is kept as one byte per character instead of
    /// .NET's two: an open document's text then takes half the memory, as V8 keeps one-byte strings for Yjs. Its UTF-16
    /// length, offsets and wire bytes are the same; shorter texts are not worth the array's header.
    /// </summary>
    private const int CompactThreshold = 32;

    private string? _str;
    private byte[]? _ascii;                 // the text when it is compact (then _str is null)
    private System.Text.StringBuilder? _builder;

    public ContentString(string str) => Set(str);
    private ContentString(byte[] ascii) => _ascii = ascii;

    private void Set(string s)
    {
        _builder = null;
        if (s.Length >= CompactThreshold && System.Text.Ascii.IsValid(s))
        {
            _ascii = new byte[s.Length];
            System.Text.Ascii.FromUtf16(s, _ascii, out _);
            _str = null;
        }
        else
        {
            _str = s;
            _ascii = null;
        }
    }

    /// <summary>The text (a growing builder is turned back into a string on the first read; a compact text is widened).</summary>
    public string Str
    {
        get
        {
            if (_builder is not null)
            {
                var s = _builder.ToString();
                Set(s);
                return s;
            }
            return _ascii is not null ? System.Text.Encoding.ASCII.GetString(_ascii) : _str!;
        }
        set => Set(value);
    }

    public override int Length => _builder?.Length ?? _ascii?.Length ?? _str!.Length;
    public override bool Countable => true;
    public override int Ref => 4;

    /// <summary>Appends the text to <paramref name="sb"/> without turning a builder or a compact text into a string.</summary>
    public void AppendTo(System.Text.StringBuilder sb)
    {
        if (_builder is not null) sb.Append(_builder);
        else if (_ascii is not null) AppendAscii(sb, _ascii);
        else sb.Append(_str);
    }

    internal static void AppendAscii(System.Text.StringBuilder sb, ReadOnlySpan<byte> ascii)
    {
        Span<char> chars = stackalloc char[256];
        while (!ascii.IsEmpty)
        {
            var n = Math.Min(ascii.Length, chars.Length);
            System.Text.Ascii.ToUtf16(ascii[..n], chars, out _);
            sb.Append(chars[..n]);
            ascii = ascii[n..];
        }
    }

    public override Content Splice(int offset)
    {
        if (_builder is null && _ascii is not null)
        {
            // no surrogate pairs in ASCII: a plain cut
            var right = new ContentString(_ascii[offset..]);
            _ascii = _ascii[..offset];
            return right;
        }
        var str = Str;
        var rightPart = new ContentString(str[offset..]);
        Str = str[..offset];
        // a surrogate pair cut in half becomes two U+FFFD, exactly like Yjs, so that replicas converge
        if (offset > 0 && char.IsHighSurrogate(str[offset - 1]))
        {
            Str = string.Concat(str.AsSpan(0, offset - 1), "\uFFFD");
            rightPart.Str = string.Concat("\uFFFD", rightPart.Str.AsSpan(1));
        }
        return rightPart;
    }

    public override bool MergeWith(Content right)
    {
        var r = (ContentString)right;
        if (_builder is null && Length + r.Length < BuilderThreshold)
        {
            if (_ascii is not null && r._builder is null && (r._ascii is not null || System.Text.Ascii.IsValid(r._str!)))
            {
                // compact + ASCII stays compact: one copy of bytes (typing at the end of a long line of code)
                var joined = new byte[_ascii.Length + r.Length];
                _ascii.CopyTo(joined, 0);
                if (r._ascii is not null) r._ascii.CopyTo(joined, _ascii.Length);
                else System.Text.Ascii.FromUtf16(r._str, joined.AsSpan(_ascii.Length), out _);
                _ascii = joined;
                return true;
            }
            Set(string.Concat(Str, r.Str));
            return true;
        }
        if (_builder is null)
        {
            // filled before it becomes this content's builder: AppendTo reads the builder first
            var builder = new System.Text.StringBuilder(Math.Max(2 * (Length + r.Length), BuilderThreshold));
            AppendTo(builder);
            _builder = builder;
            _str = null;
            _ascii = null;
        }
        r.AppendTo(_builder);
        return true;
    }

    // The update of a transaction that appended to a merged item writes only the new part: no whole-string copy.
    public override void Write(UpdateEncoder enc, int offset)
    {
        if (_builder is not null) enc.WriteString(offset == 0 ? _builder.ToString() : _builder.ToString(offset, _builder.Length - offset));
        else if (_ascii is not null) enc.WriteAsciiString(_ascii.AsSpan(offset));
        else enc.WriteString(offset == 0 ? _str! : _str![offset..]);
    }

    public override IEnumerable<object?> GetValues() => Str.Select(c => (object?)c.ToString());
}

internal sealed class ContentAny(List<AnyValue> values) : Content
{
    public readonly List<AnyValue> Values = values;
    public override int Length => Values.Count;
    public override bool Countable => true;
    public override int Ref => 8;

    public override Content Splice(int offset)
    {
        var right = new ContentAny(Values.GetRange(offset, Values.Count - offset));
        Values.RemoveRange(offset, Values.Count - offset);
        return right;
    }

    public override bool MergeWith(Content right)
    {
        Values.AddRange(((ContentAny)right).Values);
        return true;
    }

    public override void Write(UpdateEncoder enc, int offset)
    {
        enc.WriteLen(Values.Count - offset);
        for (var i = offset; i < Values.Count; i++) enc.WriteAny(Values[i]);
    }

    public override IEnumerable<object?> GetValues() => Values;
}

/// <summary>Legacy JSON content (ref 2): each element is written as its JSON text, undefined as "undefined".</summary>
internal sealed class ContentJson(List<AnyValue> values) : Content
{
    public readonly List<AnyValue> Values = values;
    public override int Length => Values.Count;
    public override bool Countable => true;
    public override int Ref => 2;

    public override Content Splice(int offset)
    {
        var right = new ContentJson(Values.GetRange(offset, Values.Count - offset));
        Values.RemoveRange(offset, Values.Count - offset);
        return right;
    }

    public override bool MergeWith(Content right)
    {
        Values.AddRange(((ContentJson)right).Values);
        return true;
    }

    public override void Write(UpdateEncoder enc, int offset)
    {
        enc.WriteLen(Values.Count - offset);
        for (var i = offset; i < Values.Count; i++) enc.WriteString(Values[i].ToJson());
    }

    public override IEnumerable<object?> GetValues() => Values;
}

internal sealed class ContentBinary(byte[] data) : Content
{
    public readonly byte[] Data = data;
    public override int Length => 1;
    public override bool Countable => true;
    public override int Ref => 3;
    public override void Write(UpdateEncoder enc, int offset) => enc.WriteBuf(Data);
    public override IEnumerable<object?> GetValues() => [AnyValue.Bytes(Data)];
}

internal sealed class ContentEmbed(AnyValue embed) : Content
{
    public readonly AnyValue Embed = embed;
    public override int Length => 1;
    public override bool Countable => true;
    public override int Ref => 5;
    public override void Write(UpdateEncoder enc, int offset) => enc.WriteJson(Embed);
    public override IEnumerable<object?> GetValues() => [Embed];
}

internal sealed class ContentFormat(string key, AnyValue value) : Content
{
    public readonly string Key = key;
    public readonly AnyValue Value = value;
    public override int Length => 1;
    public override bool Countable => false;
    public override int Ref => 6;

    public override void Integrate(Transaction tr, Item item)
    {
        if (item.Parent is YText t) t.OnFormatIntegrated();
    }

    public override void Write(UpdateEncoder enc, int offset)
    {
        enc.WriteKey(Key);
        enc.WriteJson(Value);
    }
}

/// <summary>A sub-document reference (ref 9). Kept and re-encoded intact; sub-documents are not loaded.</summary>
internal sealed class ContentDoc(string guid, AnyValue opts) : Content
{
    public readonly string Guid = guid;
    public readonly AnyValue Opts = opts;
    public override int Length => 1;
    public override bool Countable => true;
    public override int Ref => 9;

    public override void Write(UpdateEncoder enc, int offset)
    {
        enc.WriteString(Guid);
        enc.WriteAny(Opts);
    }

    public override IEnumerable<object?> GetValues() => [Opts];
}

internal sealed class ContentType(AbstractType type) : Content
{
    public readonly AbstractType Type = type;
    public override int Length => 1;
    public override bool Countable => true;
    public override int Ref => 7;

    public override void Integrate(Transaction tr, Item item) => Type.IntegrateInto(tr.Doc, item);

    // Deleting or collecting a type visits everything nested in it. Done with an explicit work list instead of
    // recursion, so that a maliciously deep nesting cannot overflow the stack (which would kill the process).

    public override void Delete(Transaction tr)
    {
        tr.TypesToDelete.Push(Type);
        if (tr.DeletingTypes) return;
        tr.DeletingTypes = true;
        try
        {
            while (tr.TypesToDelete.TryPop(out var t)) DeleteChildren(tr, t);
        }
        finally
        {
            tr.DeletingTypes = false;
        }
    }

    private static void DeleteChildren(Transaction tr, AbstractType type)
    {
        var item = type.Start;
        while (item is not null)
        {
            if (!item.Deleted) item.Delete(tr);
            else if (item.Clock < tr.BeforeStateOf(item.Client)) tr.MergeStructs.Add(item); // merge it when it is GC'd
            item = item.Right;
        }
        foreach (var mi in type.MapItems)
        {
            if (!mi.Deleted) mi.Delete(tr);
            else if (mi.Clock < tr.BeforeStateOf(mi.Client)) tr.MergeStructs.Add(mi);
        }
        tr.Changed.Remove(type);
    }

    public override void Gc(StructStore store)
    {
        var work = new Stack<AbstractType>();
        work.Push(Type);
        while (work.TryPop(out var t))
        {
            for (var item = t.Start; item is not null; item = item.Right) CollectChild(store, item, work);
            t.Start = null;
            foreach (var head in t.MapItems.ToList())
                for (Item? mi = head; mi is not null; mi = mi.Left) CollectChild(store, mi, work);
            t.ClearMap();
        }
    }

    /// <summary>item.gc(store, parentGCd = true): the child becomes a GC struct; nested types are queued.</summary>
    private static void CollectChild(StructStore store, Item item, Stack<AbstractType> work)
    {
        if (!item.Deleted) return; // cannot happen for consistent documents; never throw during cleanup
        if (item.Content is ContentType ct) work.Push(ct.Type);
        else item.Content.Gc(store);
        store.ReplaceStruct(item, new GcStruct(item.Client, item.Clock, item.Length));
    }

    public override void Write(UpdateEncoder enc, int offset) => Type.WriteType(enc);
    public override IEnumerable<object?> GetValues() => [Type];
}
