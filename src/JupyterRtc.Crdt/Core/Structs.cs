using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Core;

/// <summary>A run of consecutive clocks of one client: an <see cref="Item"/>, a <see cref="GcStruct"/> or (only in updates) a <see cref="SkipStruct"/>.</summary>
internal abstract class StructBase
{
    public ulong Client;
    public int Clock;
    public int Length;

    protected StructBase(ulong client, int clock, int length)
    {
        Client = client;
        Clock = clock;
        Length = length;
    }

    public Id Id => new(Client, Clock);
    public abstract bool Deleted { get; }
    public abstract bool MergeWith(StructBase right);
    public abstract void Write(UpdateEncoder enc, int offset);
}

/// <summary>A garbage-collected range: no content, no position, always deleted.</summary>
internal sealed class GcStruct : StructBase
{
    public GcStruct(ulong client, int clock, int length) : base(client, clock, length) { }
    public override bool Deleted => true;

    public override bool MergeWith(StructBase right)
    {
        if (right is not GcStruct) return false;
        Length += right.Length;
        return true;
    }

    public override void Write(UpdateEncoder enc, int offset)
    {
        enc.WriteInfo(0);
        enc.WriteLen(Length - offset);
    }
}

/// <summary>A hole in a merged or pending update; never stored in a document.</summary>
internal sealed class SkipStruct : StructBase
{
    public SkipStruct(ulong client, int clock, int length) : base(client, clock, length) { }
    public override bool Deleted => true;

    public override bool MergeWith(StructBase right)
    {
        if (right is not SkipStruct) return false;
        Length += right.Length;
        return true;
    }

    public override void Write(UpdateEncoder enc, int offset)
    {
        enc.WriteInfo(10);
        // Skip lengths always go to the rest stream, in v2 too
        enc.Rest.WriteVarUint((ulong)(Length - offset));
    }
}
