using JupyterRtc.Contents.Notebooks;
using System.Text.Json;

namespace JupyterRtc.Contents.Tests;

public sealed class NotebookFormatTests
{
    private static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static JsonElement ClientJson(TapeValue nb, bool trusted)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) NotebookFormat.WriteForClient(w, nb, trusted);
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(2.5, "2.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(123456789012345.0, "123456789012345.0")]
    [InlineData(-1.5e300, "-1.5e+300")]
    [InlineData(1.0 / 3, "0.3333333333333333")]
    public void Floats_are_written_as_python_repr(double d, string expected) => Assert.Equal(expected, PythonJson.FloatRepr(d));

    [Fact]
    public void Strings_escape_like_python_json_with_ensure_ascii_false()
    {
        var w = new PythonJson();
        w.String("a\"\\\n\r\t\b\f\u0001é😀\u2028\u007f");
        Assert.Equal("\"a\\\"\\\\\\n\\r\\t\\b\\f\\u0001é😀\u2028\u007f\"", System.Text.Encoding.UTF8.GetString(w.ToArray()));
    }

    [Fact]
    public void Writing_splits_lines_sorts_keys_strips_transient_keys_and_reading_joins_them_back()
    {
        using var doc = JsonTape.Parse("""
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {"signature": "x", "b": 1, "a": 2},
             "cells": [{"id": "c", "cell_type": "code", "execution_count": null, "metadata": {"trusted": true},
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": "a\nb"}], "source": "x = 1\r\ny = 2"}]}
            """);
        var text = System.Text.Encoding.UTF8.GetString(NotebookFormat.Write(doc.Root));
        Assert.Equal("""
            {
             "cells": [
              {
               "cell_type": "code",
               "execution_count": null,
               "id": "c",
               "metadata": {},
               "outputs": [
                {
                 "name": "stdout",
                 "output_type": "stream",
                 "text": [
                  "a\n",
                  "b"
                 ]
                }
               ],
               "source": [
                "x = 1\r\n",
                "y = 2"
               ]
              }
             ],
             "metadata": {
              "a": 2,
              "b": 1
             },
             "nbformat": 4,
             "nbformat_minor": 5
            }

            """.Replace("\r\n", "\n"), text);
        using var back = NotebookFormat.Read(System.Text.Encoding.UTF8.GetBytes(text));
        var client = ClientJson(back.Root, trusted: true);
        Assert.Equal("x = 1\r\ny = 2", client.GetProperty("cells")[0].GetProperty("source").GetString());
        Assert.Equal("a\nb", client.GetProperty("cells")[0].GetProperty("outputs")[0].GetProperty("text").GetString());
        Assert.True(client.GetProperty("cells")[0].GetProperty("metadata").GetProperty("trusted").GetBoolean());
    }

    [Fact]
    public void Python_splitlines_boundaries_are_respected()
    {
        Assert.Equal(new[] { "a\v", "b\u2028", "c\r", "d" }, NotebookFormat.Split("a\vb\u2028c\rd"));
    }

    [Fact]
    public void Reading_repairs_missing_and_duplicate_cell_ids_from_4_5()
    {
        using var nb = NotebookFormat.Read(Utf8("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", "metadata": {}, "source": ""}, {"id": "a", "cell_type": "markdown", "metadata": {}, "source": ""}, {"id": "a", "cell_type": "markdown", "metadata": {}, "source": ""}]}"""));
        var ids = nb.Root.GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal("a", ids[1]);
        Assert.Null(NotebookValidator.Validate(nb.Root));
    }

    [Fact]
    public void Notebooks_missing_what_nbformat_needs_are_unreadable()
    {
        Assert.Throws<FormatException>(() => NotebookFormat.Read(Utf8("""{"nbformat": 4, "nbformat_minor": 5, "cells": []}""")));
        Assert.Throws<FormatException>(() => NotebookFormat.Read(Utf8("""{"nbformat": 3, "metadata": {}, "cells": []}""")));
        Assert.ThrowsAny<JsonException>(() => NotebookFormat.Read(Utf8("not json")));
    }

    [Fact]
    public void Validation_message_names_the_error()
    {
        using var doc = JsonTape.Parse("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "x", "cell_type": "bogus", "metadata": {}, "source": ""}]}""");
        Assert.StartsWith("Notebook validation failed: ", NotebookValidator.ValidationMessage(doc.Root));
    }

    [Fact]
    public void Escaped_names_in_bundles_and_attachments_are_decoded_for_the_client()
    {
        // Written by hand, as no nbformat writer escapes these: "\/" and "\u0022" in names of mime types and attachments.
        using var doc = JsonTape.Parse(Utf8("""
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
             {"id": "a", "cell_type": "markdown", "metadata": {}, "source": ["see"],
              "attachments": {"x\u0022y.png": {"image/png": "iVBOR"}, "t.txt": {"text\/plain": ["a\n", "b"]}}},
             {"id": "b", "cell_type": "code", "execution_count": 1, "metadata": {}, "source": [],
              "outputs": [{"output_type": "display_data", "metadata": {},
                           "data": {"application\/json": ["kept", "as a list"], "text\/plain": ["one\n", "two"],
                                    "application/vnd.x+json": {"k": 1}}}]}]}
            """));
        var client = ClientJson(doc.Root, trusted: true);
        var cells = client.GetProperty("cells");
        var attachments = cells[0].GetProperty("attachments");
        Assert.Equal("iVBOR", attachments.GetProperty("x\"y.png").GetProperty("image/png").GetString());
        Assert.Equal("a\nb", attachments.GetProperty("t.txt").GetProperty("text/plain").GetString());
        var data = cells[1].GetProperty("outputs")[0].GetProperty("data");
        Assert.Equal(["kept", "as a list"], data.GetProperty("application/json").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("one\ntwo", data.GetProperty("text/plain").GetString());
        Assert.Equal(1, data.GetProperty("application/vnd.x+json").GetProperty("k").GetInt32());
    }

    /// <summary>
    /// The validator matches property names by their raw bytes, decoding only escaped ones: a notebook whose keys are
    /// written with escapes validates exactly as the same notebook written plainly, valid or not.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData(", \"bogus\": 1")]
    [InlineData(", \"execution_count\": \"one\"")]
    public void Escaped_keys_validate_as_plain_ones(string extra)
    {
        var plain = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {\"kernelspec\": {\"name\": \"python3\", \"display_name\": \"P\"}}, " +
            "\"cells\": [{\"id\": \"a\", \"cell_type\": \"code\", \"execution_count\": null, \"metadata\": {}, \"outputs\": " +
            "[{\"output_type\": \"stream\", \"name\": \"stdout\", \"text\": [\"x\"]}], \"source\": [\"1\"]" + extra + "}]}";
        var escaped = plain.Replace("\"cell_type\"", "\"cell\\u005ftype\"").Replace("\"output_type\"", "\"output\\u005ftype\"")
            .Replace("\"bogus\"", "\"bog\\u0075s\"").Replace("\"display_name\"", "\"display\\u005fname\"");
        Assert.NotEqual(plain, escaped);
        using var a = JsonTape.Parse(plain);
        using var b = JsonTape.Parse(escaped);
        var expected = NotebookValidator.ValidationMessage(a.Root);
        Assert.Equal(extra == "", expected == null);
        // The message quotes the offending instance as written (escapes and all); put the plain keys back to compare.
        var actual = NotebookValidator.ValidationMessage(b.Root)?.Replace("cell\\u005ftype", "cell_type")
            .Replace("output\\u005ftype", "output_type").Replace("bog\\u0075s", "bogus").Replace("display\\u005fname", "display_name");
        Assert.Equal(expected, actual);
    }
}
