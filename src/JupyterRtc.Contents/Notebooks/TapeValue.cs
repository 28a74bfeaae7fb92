using System.Text.Json;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// A value in a <see cref="JsonTape"/>: the members of <see cref="JsonElement"/> the notebook code uses, with the same
/// meaning (a duplicated name finds the last property, as JsonElement does), read in place. <see cref="Raw"/> is the
/// value's text as the input has it, escapes and all.
/// </summary>
public readonly struct TapeValue
{
    private readonly JsonTape? _tape;
    private readonly int _index;

    internal TapeValue(JsonTape tape, int index)
    {
        _tape = tape;
        _index = index;
    }

    public JsonValueKind ValueKind => _tape == null ? JsonValueKind.Undefined : _tape.RowAt(_index).Kind;

    private JsonTape Tape => _tape ?? throw new InvalidOperationException("The value is undefined");

    /// <summary>The value's JSON text, as in the input.</summary>
    public ReadOnlySpan<byte> Raw => Tape.Text(_index);

    public string GetRawText() => System.Text.Encoding.UTF8.GetString(Raw);

    public override string ToString() => ValueKind == JsonValueKind.String ? GetString()! : _tape == null ? "" : GetRawText();

    // ---- objects and arrays -----------------------------------------------------------------------------------------

    public int GetArrayLength() => Expect(JsonValueKind.Array).Count;

    public ArrayEnumerator EnumerateArray() => new(_tape!, _index + 1, Expect(JsonValueKind.Array).Next);

    public ObjectEnumerator EnumerateObject() => new(_tape!, _index + 1, Expect(JsonValueKind.Object).Next);

    public bool TryGetProperty(ReadOnlySpan<byte> utf8Name, out TapeValue value)
    {
        Expect(JsonValueKind.Object);
        var row = _tape!.Find(_index, utf8Name);
        value = row < 0 ? default : new TapeValue(_tape, row);
        return row >= 0;
    }

    public bool TryGetProperty(string name, out TapeValue value)
    {
        Expect(JsonValueKind.Object);
        value = default;
        return JsonTape.Utf8Of(name) is { } utf8 && TryGetProperty(utf8, out value);
    }

    public TapeValue GetProperty(string name) =>
        TryGetProperty(name, out var v) ? v : throw new KeyNotFoundException($"No property '{name}'");

    private ref readonly JsonTape.Row Expect(JsonValueKind kind)
    {
        ref readonly var row = ref Tape.RowAt(_index);
        if (row.Kind != kind) throw new InvalidOperationException($"The value is {row.Kind}, not {kind}");
        return ref row;
    }

    // ---- scalars ----------------------------------------------------------------------------------------------------

    /// <summary>The string's value; null for JSON null, as <see cref="JsonElement.GetString"/>.</summary>
    public string? GetString()
    {
        var row = Tape.RowAt(_index);
        return row.Kind switch
        {
            JsonValueKind.String => JsonTape.Decode(Raw, row.Escaped),
            JsonValueKind.Null => null,
            _ => throw new InvalidOperationException($"The value is {row.Kind}, not a string"),
        };
    }

    /// <summary>Whether this is a string with this value (false for any other kind, where JsonElement throws).</summary>
    public bool ValueEquals(ReadOnlySpan<byte> utf8)
    {
        if (_tape == null) return false;
        var row = _tape.RowAt(_index);
        return row.Kind == JsonValueKind.String && JsonTape.TextEquals(Raw, row.Escaped, utf8);
    }

    public bool ValueEquals(string text)
    {
        if (_tape == null) return false;
        var row = _tape.RowAt(_index);
        return row.Kind == JsonValueKind.String && JsonTape.TextEquals(Raw, row.Escaped, text);
    }

    /// <summary>Whether the string value contains a backslash escape (its <see cref="Raw"/> text is not its value).</summary>
    public bool IsEscaped => Tape.RowAt(_index).Escaped;

    public bool TryGetInt64(out long value)
    {
        value = 0;
        return ValueKind == JsonValueKind.Number && JsonTape.TryInt64(Raw, out value);
    }

    public long GetInt64()
    {
        Expect(JsonValueKind.Number);
        return JsonTape.TryInt64(Raw, out var v) ? v : throw new FormatException("The number is not an Int64");
    }

    public bool TryGetInt32(out int value)
    {
        value = 0;
        if (!TryGetInt64(out var l) || l is < int.MinValue or > int.MaxValue) return false;
        value = (int)l;
        return true;
    }

    public double GetDouble()
    {
        Expect(JsonValueKind.Number);
        return JsonTape.Double(Raw);
    }

    // ---- comparing and writing --------------------------------------------------------------------------------------

    /// <summary>Structural equality as <see cref="JsonElement.DeepEquals"/>: strings by value, numbers by value,
    /// objects regardless of property order.</summary>
    public static bool DeepEquals(TapeValue a, TapeValue b)
    {
        var kind = a.ValueKind;
        if (kind != b.ValueKind) return false;
        switch (kind)
        {
            case JsonValueKind.String:
                if (!a.IsEscaped && !b.IsEscaped) return a.Raw.SequenceEqual(b.Raw);
                return a.GetString() == b.GetString();
            case JsonValueKind.Number:
                return JsonTape.SameNumber(a.Raw, b.Raw);
            case JsonValueKind.Array:
            {
                if (a.GetArrayLength() != b.GetArrayLength()) return false;
                var eb = b.EnumerateArray();
                foreach (var x in a.EnumerateArray())
                {
                    eb.MoveNext();
                    if (!DeepEquals(x, eb.Current)) return false;
                }
                return true;
            }
            case JsonValueKind.Object:
            {
                // Property order does not matter, except among properties of the same name (as JsonElement's).
                var pa = a.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Select(p => p.Value).ToList());
                var pb = b.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Select(p => p.Value).ToList());
                if (pa.Count != pb.Count) return false;
                foreach (var (name, values) in pa)
                {
                    if (!pb.TryGetValue(name, out var others) || others.Count != values.Count) return false;
                    for (var i = 0; i < values.Count; i++)
                        if (!DeepEquals(values[i], others[i])) return false;
                }
                return true;
            }
            default:
                return true;    // true, false, null (and two undefined values)
        }
    }

    /// <summary>Writes the value as the input has it (no decoding and re-escaping: it is already JSON).</summary>
    public void WriteTo(Utf8JsonWriter writer) => writer.WriteRawValue(Raw, skipInputValidation: true);

    // ---- enumerators ------------------------------------------------------------------------------------------------

    /// <summary>The elements in order. A struct for foreach; an IEnumerable for LINQ, as JsonElement's.</summary>
    public struct ArrayEnumerator(JsonTape tape, int first, int end) : IEnumerable<TapeValue>, IEnumerator<TapeValue>
    {
        private int _current = -1;

        public readonly TapeValue Current => new(tape, _current);

        public bool MoveNext()
        {
            _current = _current < 0 ? first : tape.RowAt(_current).Next;
            return _current < end;
        }

        public readonly ArrayEnumerator GetEnumerator() => this;
        readonly IEnumerator<TapeValue> IEnumerable<TapeValue>.GetEnumerator() => this;
        readonly System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;
        readonly object System.Collections.IEnumerator.Current => Current;
        public void Reset() => _current = -1;
        public readonly void Dispose() { }
    }

    /// <summary>The properties in order, duplicates included.</summary>
    public struct ObjectEnumerator(JsonTape tape, int first, int end) : IEnumerable<TapeProperty>, IEnumerator<TapeProperty>
    {
        private int _name = -1;

        /// <summary>A property: its name's row, then its value's.</summary>
        public readonly TapeProperty Current => new(tape, _name);

        public bool MoveNext()
        {
            _name = _name < 0 ? first : tape.RowAt(_name + 1).Next;
            return _name < end;
        }

        public readonly ObjectEnumerator GetEnumerator() => this;
        readonly IEnumerator<TapeProperty> IEnumerable<TapeProperty>.GetEnumerator() => this;
        readonly System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;
        readonly object System.Collections.IEnumerator.Current => Current;
        public void Reset() => _name = -1;
        public readonly void Dispose() { }
    }
}

/// <summary>A property of a <see cref="TapeValue"/> object: its name (read in place) and value.</summary>
public readonly struct TapeProperty
{
    private readonly JsonTape _tape;
    private readonly int _name;

    internal TapeProperty(JsonTape tape, int nameRow)
    {
        _tape = tape;
        _name = nameRow;
    }

    public TapeValue Value => new(_tape, _name + 1);

    /// <summary>The name's bytes between its quotes, escapes not decoded (see <see cref="NameIsEscaped"/>).</summary>
    public ReadOnlySpan<byte> RawName => _tape.Text(_name)[1..^1];

    public bool NameIsEscaped => _tape.RowAt(_name).Escaped;

    public string Name => JsonTape.Decode(_tape.Text(_name), NameIsEscaped);

    public bool NameEquals(ReadOnlySpan<byte> utf8) => JsonTape.TextEquals(_tape.Text(_name), NameIsEscaped, utf8);

    public bool NameEquals(string name) => JsonTape.TextEquals(_tape.Text(_name), NameIsEscaped, name);

    public void WriteTo(Utf8JsonWriter writer)
    {
        if (NameIsEscaped) writer.WritePropertyName(Name);
        else writer.WritePropertyName(RawName);
        Value.WriteTo(writer);
    }

    public override string ToString() => $"\"{Name}\": {Value.GetRawText()}";
}
