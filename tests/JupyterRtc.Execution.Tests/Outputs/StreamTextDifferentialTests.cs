using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JupyterRtc.Execution.Tests.Outputs;

/// <summary>
/// Replays the chunk sequences of fixtures/stream-fixtures.json (random, seeded; made by make-stream-fixtures.mjs
/// from JupyterLab's own OutputAreaModel) and compares the text after every chunk with JupyterLab's.
/// </summary>
public class StreamTextDifferentialTests
{
    private sealed record Case(string[] Chunks, string[] Texts);

    private static readonly Lazy<Case[]> Cases = new(Load);

    public static TheoryData<int> Indices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Value.Length; i++)
            data.Add(i);
        return data;
    }

    [Fact]
    public void FixtureComesFromTheExpectedJupyterLab()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        Assert.Equal("4.6.3", json.RootElement.GetProperty("outputarea").GetString());
        Assert.True(Cases.Value.Length >= 300);
        // the random cases exercise what matters: controls in all positions and half surrogate pairs
        string all = string.Concat(Cases.Value.SelectMany(c => c.Chunks));
        Assert.All(new[] { "\r\n", "\b", "😀" }, s => Assert.Contains(s, all));
        Assert.Contains(Cases.Value, c => c.Texts.Any(t => t.Length > 0 && char.IsHighSurrogate(t[^1])));
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void SameTextsAsJupyterLab(int index)
    {
        var (chunks, texts) = Cases.Value[index];
        var document = new StreamDocument();
        for (int i = 0; i < chunks.Length; i++)
        {
            document.Add(chunks[i]);
            Assert.True(texts[i] == document.Text,
                $"after chunk {i} of {Show(chunks)}: expected {Show(texts[i])}, got {Show(document.Text)}");
        }
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void SameTextsWhenEveryChunkIsSplitInTwo(int index)
    {
        // JupyterLab's processing does not depend on chunk boundaries (its state is the text and the cursor), so
        // splitting a chunk anywhere, even inside \r\n or a surrogate pair, must give the same text at its end
        var (chunks, texts) = Cases.Value[index];
        var document = new StreamDocument();
        for (int i = 0; i < chunks.Length; i++)
        {
            int cut = chunks[i].Length * (i + index) % (chunks[i].Length + 1);
            document.Add(chunks[i][..cut]);
            document.Add(chunks[i][cut..]);
            Assert.Equal(texts[i], document.Text);
        }
    }

    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "fixtures", "stream-fixtures.json");

    private static Case[] Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return json.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new Case(Strings(c.GetProperty("chunks")), Strings(c.GetProperty("texts"))))
            .ToArray();
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(Unescape).ToArray();

    // JupyterLab's texts can end in half a surrogate pair, which JSON.stringify writes as a lone \udxxx escape;
    // System.Text.Json refuses to return such a string, so the escapes are undone here.
    private static string Unescape(JsonElement element)
    {
        Assert.Equal(JsonValueKind.String, element.ValueKind);
        string raw = element.GetRawText();
        var text = new StringBuilder(raw.Length);
        for (int i = 1; i < raw.Length - 1; i++)
        {
            if (raw[i] != '\\')
            {
                text.Append(raw[i]);
                continue;
            }
            char escaped = raw[++i];
            switch (escaped)
            {
                case 'u':
                    text.Append((char)int.Parse(raw.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                default: text.Append(escaped); break; // \" \\ \/
            }
        }
        return text.ToString();
    }

    private static string Show(string s) => JsonSerializer.Serialize(s);

    private static string Show(string[] s) => JsonSerializer.Serialize(s);
}
