using System.Diagnostics;
using System.Text.Json;

namespace JupyterRtc.Contents.Tests;

[Collection(nameof(PooledFile))]
public sealed class ContentsManagerTests : IDisposable
{
    private readonly TempRoot _t = new();
    public void Dispose() => _t.Dispose();

    private static JsonElement Json(object model) => JsonSerializer.SerializeToElement(model);
    private static JsonElement Text(string content) => Json(new { type = "file", format = "text", content });
    private static JsonElement Chunk(int chunk, byte[] data) => Json(new { type = "file", format = "base64", chunk, content = Convert.ToBase64String(data) });

    [Fact]
    public void Untitled_and_copy_names_follow_jupyter()
    {
        var cm = _t.Manager();
        Assert.Equal("Untitled.ipynb", cm.NewUntitled("", "notebook").Path);
        Assert.Equal("Untitled1.ipynb", cm.NewUntitled("", "notebook").Path);
        Assert.Equal("untitled.py", cm.NewUntitled("", "file", ".py").Path);
        Assert.Equal("untitled1.py", cm.NewUntitled("", "file", ".py").Path);
        Assert.Equal("Untitled Folder", cm.NewUntitled("", "directory").Path);
        Assert.Equal("Untitled Folder 1", cm.NewUntitled("", "directory").Path);
        cm.Save("data.tar.gz", Text("x"));
        Assert.Equal("data-Copy1.tar.gz", cm.Copy("data.tar.gz", "").Path);
        Assert.Equal("data-Copy2.tar.gz", cm.Copy("data-Copy1.tar.gz", "").Path);
        Assert.Equal("Untitled-Copy1.ipynb", cm.Copy("Untitled.ipynb", "").Path);
        Assert.Equal(400, Assert.Throws<ContentsException>(() => cm.Copy("Untitled Folder", "")).Status);
    }

    [Fact]
    public void Last_modified_changes_on_every_write()
    {
        var cm = _t.Manager();
        var seen = new HashSet<DateTime>();
        for (var i = 0; i < 5; i++) seen.Add(cm.Save("a.txt", Text("v" + i)).Model.LastModified);
        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public void A_chunked_upload_is_invisible_until_its_last_chunk()
    {
        var cm = _t.Manager();
        cm.Save("up.bin", Chunk(1, [1, 2]));
        cm.Save("up.bin", Chunk(2, [3]));
        Assert.False(File.Exists(_t.In("up.bin")));
        Assert.DoesNotContain(((List<ContentsModel>)cm.Get("").Content!), m => m.Name.Contains("up.bin"));
        cm.Save("up.bin", Chunk(-1, [4]));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, File.ReadAllBytes(_t.In("up.bin")));
        Assert.Single(Directory.GetFiles(_t.Root));
    }

    [Fact]
    public void Uploads_over_the_limit_are_413_and_leave_nothing()
    {
        var cm = _t.Manager(o => o.MaxUploadSize = 4);
        File.WriteAllText(_t.In("keep.bin"), "old");
        Assert.Equal(413, Assert.Throws<ContentsException>(() => cm.Save("keep.bin", Text("too long"))).Status);
        Assert.Equal("old", File.ReadAllText(_t.In("keep.bin")));
        cm.Save("big.bin", Chunk(1, [1, 2, 3]));
        var e = Assert.Throws<ContentsException>(() =>
            cm.Save("big.bin", Chunk(-1, [4, 5])));
        Assert.Equal(413, e.Status);
        Assert.Equal(["keep.bin"], Directory.GetFiles(_t.Root).Select(Path.GetFileName));
    }

    [Fact]
    public void Binary_file_asked_for_as_text_is_400_and_otherwise_base64()
    {
        File.WriteAllBytes(_t.In("b.bin"), [0xff, 0xfe, 0x00]);
        var cm = _t.Manager();
        Assert.Equal(400, Assert.Throws<ContentsException>(() => cm.Get("b.bin", format: "text")).Status);
        var m = cm.Get("b.bin");
        Assert.Equal("base64", m.Format);
        Assert.Equal("//4A\n", m.Content);
    }

    [Fact]
    public void Hidden_files_are_404_to_read_400_to_write_and_left_out_of_listings_unless_allowed()
    {
        File.WriteAllText(_t.In(".secret"), "s");
        var cm = _t.Manager();
        Assert.Equal(404, Assert.Throws<ContentsException>(() => cm.Get(".secret")).Status);
        Assert.Equal(400, Assert.Throws<ContentsException>(() => cm.Save(".other", Text("x"))).Status);
        Assert.Equal(400, Assert.Throws<ContentsException>(() => cm.Delete(".secret")).Status);
        Assert.Empty((List<ContentsModel>)cm.Get("").Content!);
        var allowing = _t.Manager(o => o.AllowHidden = true);
        Assert.Equal("s", allowing.Get(".secret").Content);
        Assert.Single((List<ContentsModel>)allowing.Get("").Content!);
    }

    [Fact]
    public void Listings_show_symlinks_into_the_root_as_their_targets_and_leave_out_those_leaving_it()
    {
        Directory.CreateDirectory(_t.In("real"));
        File.WriteAllText(_t.In("real/a.txt"), "a");
        File.WriteAllText(Path.Combine(_t.Outside, "secret.txt"), "s");
        File.CreateSymbolicLink(_t.In("file-in"), _t.In("real/a.txt"));
        Directory.CreateSymbolicLink(_t.In("dir-in"), _t.In("real"));
        File.CreateSymbolicLink(_t.In("file-out"), Path.Combine(_t.Outside, "secret.txt"));
        Directory.CreateSymbolicLink(_t.In("dir-out"), _t.Outside);
        using var listing = _t.Manager().Get("");
        var children = Assert.IsAssignableFrom<IReadOnlyList<ContentsModel>>(listing.Content).ToDictionary(c => c.Name, c => c.Type);
        Assert.Equal(new Dictionary<string, string> { ["real"] = "directory", ["file-in"] = "file", ["dir-in"] = "directory" }, children);
    }

    [Fact]
    public void Writes_through_symlinks_that_leave_the_root_are_refused_and_touch_nothing()
    {
        var outsideFile = Path.Combine(_t.Outside, "victim.txt");
        File.WriteAllText(outsideFile, "untouched");
        File.CreateSymbolicLink(_t.In("link.txt"), outsideFile);
        Directory.CreateSymbolicLink(_t.In("linkdir"), _t.Outside);
        var cm = _t.Manager();
        Assert.Throws<ContentsException>(() => cm.Save("link.txt", Text("pwned")));
        Assert.Throws<ContentsException>(() => cm.Save("linkdir/new.txt", Text("pwned")));
        Assert.Throws<ContentsException>(() => cm.Delete("linkdir/victim.txt"));
        Assert.Throws<ContentsException>(() => cm.Rename("linkdir/victim.txt", "stolen.txt"));
        Assert.Throws<ContentsException>(() => cm.Get("link.txt"));
        Assert.Equal("untouched", File.ReadAllText(outsideFile));
        Assert.Equal(["victim.txt"], Directory.GetFiles(_t.Outside).Select(Path.GetFileName));
        Assert.DoesNotContain((List<ContentsModel>)cm.Get("").Content!, m => m.Name is "link.txt" or "linkdir");
    }

    [Fact]
    public void Checkpoints_follow_their_file_through_rename_and_delete()
    {
        var cm = _t.Manager();
        cm.Save("a.txt", Text("one"));
        cm.CreateCheckpoint("a.txt");
        cm.Rename("a.txt", "b.txt");
        Assert.Single(cm.ListCheckpoints("b.txt"));
        Assert.Empty(cm.ListCheckpoints("a.txt"));
        cm.Save("b.txt", Text("two"));
        cm.RestoreCheckpoint("b.txt", "checkpoint");
        Assert.Equal("one", File.ReadAllText(_t.In("b.txt")));
        Assert.Equal(404, Assert.Throws<ContentsException>(() => cm.RestoreCheckpoint("b.txt", "other")).Status);
        cm.Delete("b.txt");
        Assert.False(File.Exists(_t.In(".ipynb_checkpoints/b-checkpoint.txt")));
    }

    [Fact]
    public void Saving_into_a_missing_directory_is_404()
    {
        var e = Assert.Throws<ContentsException>(() => _t.Manager().Save("dir/x.txt", Text("x")));
        Assert.Equal(404, e.Status);
    }

    [Fact]
    public void Delete_moves_files_and_non_empty_directories_to_the_trash_when_configured()
    {
        var cm = _t.Manager(o => o.DeleteToTrash = true);
        cm.Save("x.txt", Text("x"));
        Directory.CreateDirectory(_t.In("d"));
        File.WriteAllText(_t.In("d/y.txt"), "y");
        cm.Delete("x.txt");
        cm.Delete("d");
        var trash = Path.Combine(_t.Scratch, "trash");
        Assert.Equal("x", File.ReadAllText(Path.Combine(trash, "files", "x.txt")));
        Assert.True(File.Exists(Path.Combine(trash, "files", "d", "y.txt")));
        Assert.Contains("Path=" + _t.In("x.txt"), File.ReadAllText(Path.Combine(trash, "info", "x.txt.trashinfo")));
        var noTrash = _t.Manager();
        Directory.CreateDirectory(_t.In("e"));
        File.WriteAllText(_t.In("e/z.txt"), "z");
        Assert.Equal(400, Assert.Throws<ContentsException>(() => noTrash.Delete("e")).Status);
        Assert.True(File.Exists(_t.In("e/z.txt")));
    }

    /// <summary>
    /// Disk full: the root is a 1 MiB tmpfs, nearly filled; a save that does not fit fails with an error, the old file
    /// keeps its bytes and no temporary file is left behind.
    /// </summary>
    [Fact]
    public void A_failed_write_on_a_full_disk_leaves_the_old_file_intact_and_no_temp_file()
    {
        var mountPoint = Path.Combine(_t.Scratch, "tmpfs");
        Directory.CreateDirectory(mountPoint);
        if (!Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint))
        {
            // Not root or no mount permission here: the rest of the suite still covers atomic writes by design.
            Console.WriteLine("SKIP: cannot mount a tmpfs (needs root)");
            return;
        }
        try
        {
            var cm = new ContentsManager(new ContentsOptions { RootDir = mountPoint, DeleteToTrash = false });
            cm.Save("important.txt", Text(new string('a', 300_000)));
            File.WriteAllBytes(Path.Combine(mountPoint, "filler.bin"), new byte[500_000]);
            var e = Assert.Throws<ContentsException>(() => cm.Save("important.txt", Text(new string('b', 400_000))));
            Assert.Equal(500, e.Status);
            Assert.Equal(new string('a', 300_000), File.ReadAllText(Path.Combine(mountPoint, "important.txt")));
            Assert.Equal(["filler.bin", "important.txt"], Directory.GetFiles(mountPoint).Select(Path.GetFileName).Order());
            // A notebook written in pieces, some of them on another thread while the next is made, fails the same way.
            var big = Assert.Throws<ContentsException>(() => cm.Save("big.ipynb", Json(new { type = "notebook", format = "json", content = BigNotebook(3) })));
            Assert.Equal(500, big.Status);
            Assert.Equal(["filler.bin", "important.txt"], Directory.GetFiles(mountPoint).Select(Path.GetFileName).Order());
        }
        finally
        {
            Run("umount", mountPoint);
        }
    }

    private static bool Run(string cmd, params string[] args)
    {
        try
        {
            var p = Process.Start(new ProcessStartInfo(cmd, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>A notebook over the size from which validation and signing run beside parsing and writing.</summary>
    private static JsonElement LargeNotebook(bool valid)
    {
        var text = new string('x', 99) + "\n";
        var cells = new List<object>();
        for (var i = 0; i < 300; i++)
            cells.Add(new { cell_type = "code", execution_count = i + 1, id = $"c{i}", metadata = new { }, source = "print(1)",
                outputs = new[] { new { name = "stdout", output_type = "stream", text = Enumerable.Repeat(text, 50).ToArray() } } });
        cells.Add(valid
            ? new { cell_type = "markdown", id = "last", metadata = new { }, source = "end" }
            : (object)new { cell_type = "markdown", id = "last", metadata = new { }, source = "end", bogus = 1 });
        return Json(new { cells, metadata = new { }, nbformat = 4, nbformat_minor = 5 });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Large_notebooks_get_the_same_message_and_trust_as_small_ones(bool valid)
    {
        var cm = _t.Manager();
        var nb = LargeNotebook(valid);
        Assert.True(nb.GetRawText().Length > 1 << 20);
        var expected = Notebooks.NotebookValidator.ValidationMessage(nb);
        Assert.Equal(valid, expected == null);
        var saved = cm.Save("big.ipynb", Json(new { type = "notebook", format = "json", content = nb })).Model;
        Assert.Equal(expected, saved.Message);
        // The file has nbformat's key order, which the message's copy of the offending cell shows.
        using (var file = Notebooks.NotebookFormat.Read(File.ReadAllBytes(Path.Combine(_t.Root, "big.ipynb"))))
            expected = Notebooks.NotebookValidator.ValidationMessage(file.Root);
        Assert.Equal(valid, expected == null);
        using var read = cm.Get("big.ipynb");
        Assert.Equal(expected, read.Message);
        // Stream outputs need no trust: the save signed the notebook, so its read is trusted.
        Assert.True(Assert.IsType<NotebookContent>(read.Content).Trusted);
    }

    /// <summary>
    /// A large notebook's validation reads the document the client's JSON is written from, on another thread: the JSON
    /// and the message are those of a read with nothing beside it. Many distinct mime types, attachment names and
    /// metadata keys, read by both threads at once.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_large_notebook_is_written_for_the_client_unchanged_while_its_validation_reads_the_same_document(bool valid)
    {
        var cm = _t.Manager();
        var cells = new List<object>();
        for (var i = 0; i < 400; i++)
        {
            var data = new Dictionary<string, object> { ["text/plain"] = new[] { $"line {i}\n", "end" } };
            for (var k = 0; k < 8; k++) data[$"application/x-kind-{i}-{k}"] = new[] { $"v{k}", new string('q', 300) };
            data[$"application/x-{i}+json"] = new[] { "kept", "as a list" };
            cells.Add(new Dictionary<string, object>
            {
                ["cell_type"] = "code", ["execution_count"] = i, ["id"] = $"c{i}", ["source"] = new[] { "x = 1\n", $"x + {i}" },
                ["metadata"] = Enumerable.Range(0, 6).ToDictionary(k => $"meta-{i}-{k}", k => (object)k),
                ["outputs"] = new[] { new Dictionary<string, object> { ["output_type"] = "display_data", ["metadata"] = new { }, ["data"] = data } },
            });
            if (i % 50 == 0)
                cells.Add(new Dictionary<string, object>
                {
                    ["cell_type"] = "markdown", ["id"] = $"m{i}", ["metadata"] = new { }, ["source"] = "see",
                    ["attachments"] = Enumerable.Range(0, 5).ToDictionary(k => $"img-{i}-{k}.png", k => (object)new Dictionary<string, object> { ["image/png"] = "iVBOR" }),
                });
        }
        if (!valid) cells.Add(new { cell_type = "markdown", id = "last", metadata = new { }, source = "end", bogus = 1 });
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new { cells, metadata = new { }, nbformat = 4, nbformat_minor = 5 });
        Assert.True(bytes.Length > ContentsManager.LargeNotebookBytes);
        File.WriteAllBytes(_t.In("big.ipynb"), bytes);

        string expectedJson, expectedMessage;
        using (var alone = Notebooks.NotebookFormat.Read(bytes))
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer)) Notebooks.NotebookFormat.WriteForClient(w, alone.Root, trusted: false);
            expectedJson = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            expectedMessage = Notebooks.NotebookValidator.ValidationMessage(alone.Root) ?? "";
        }
        Assert.Equal(valid, expectedMessage == "");
        for (var round = 0; round < 20; round++)
        {
            using var model = cm.Get("big.ipynb");
            var nb = Assert.IsType<NotebookContent>(model.Content);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer)) Notebooks.NotebookFormat.WriteForClient(w, nb.Root, nb.Trusted);
            Assert.Equal(expectedJson, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
            Assert.Equal(expectedMessage, model.Message ?? "");
        }
    }

    [Fact]
    public void A_large_notebook_is_written_as_it_is_serialized_and_is_the_file_nbformat_writes()
    {
        // ~5 MB: several pieces, each past the point where the disk is asked to start writing back.
        var cm = _t.Manager();
        var nb = BigNotebook(5);
        cm.Save("big.ipynb", Json(new { type = "notebook", format = "json", content = nb }));
        var file = File.ReadAllBytes(_t.In("big.ipynb"));
        Assert.True(file.Length > 2 * AtomicFile.WritebackBytes);
        Assert.Equal(Notebooks.NotebookFormat.Write(nb), file);
        // Signed from the pieces as they were written: the whole file's digest.
        using var read = cm.Get("big.ipynb");
        Assert.True(Assert.IsType<NotebookContent>(read.Content).Trusted);
        Assert.Equal(["big.ipynb"], Directory.GetFiles(_t.Root).Select(Path.GetFileName));   // no temporary file left
    }

    [Fact]
    public void A_notebook_over_the_upload_limit_is_413_after_some_of_it_was_written_and_leaves_the_old_file()
    {
        var cm = _t.Manager(o => o.MaxUploadSize = 3 << 20);
        File.WriteAllText(_t.In("keep.ipynb"), "old");
        var e = Assert.Throws<ContentsException>(() => cm.Save("keep.ipynb", Json(new { type = "notebook", format = "json", content = BigNotebook(5) })));
        Assert.Equal(413, e.Status);
        Assert.Equal("old", File.ReadAllText(_t.In("keep.ipynb")));
        Assert.Equal(["keep.ipynb"], Directory.GetFiles(_t.Root).Select(Path.GetFileName));
    }

    /// <summary>About <paramref name="megabytes"/> MB of stream outputs (no trust needed, so a save signs it).</summary>
    private static JsonElement BigNotebook(int megabytes)
    {
        var line = new string('z', 99) + "\n";
        var cells = Enumerable.Range(0, megabytes * 100).Select(i => new
        {
            cell_type = "code", execution_count = i, id = $"c{i}", metadata = new { },
            outputs = new[] { new { name = "stdout", output_type = "stream", text = string.Concat(Enumerable.Repeat(line, 100)) } },
            source = $"print({i})\nprint('é😀')",
        });
        return Json(new { cells, metadata = new { }, nbformat = 4, nbformat_minor = 5 });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_large_notebook_is_validated_from_the_request_document_while_its_file_is_written(bool valid)
    {
        var cm = _t.Manager();
        var nb = LargeNotebook(valid);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new { type = "notebook", format = "json", content = nb });
        using var request = JsonDocument.Parse(bytes);
        var saved = cm.Save("big.ipynb", request.RootElement).Model;
        Assert.Equal(Notebooks.NotebookValidator.ValidationMessage(nb), saved.Message);
        Assert.Equal(valid, saved.Message == null);
        Assert.Equal(Notebooks.NotebookFormat.Write(nb), File.ReadAllBytes(_t.In("big.ipynb")));
    }
}
