using JupyterRtc.Contents.FileIds;

namespace JupyterRtc.Contents.Tests;

public class FileIdStoreTests
{
    [Fact]
    public void An_id_follows_its_file_moved_by_another_program_by_inode_across_saves_and_restarts()
    {
        using var t = new TempRoot();
        var journal = Path.Combine(t.Scratch, "data", "file_ids.jsonl");
        Directory.CreateDirectory(t.In("deep/er"));
        File.WriteAllText(t.In("nb.ipynb"), "{}");
        string id;
        using (var store = new FileIdStore(journal))
        {
            id = store.Index(t.In("nb.ipynb")).Id;
            // A save replaces the file (new inode); the store is told, as the Contents API tells it.
            File.WriteAllText(t.In("nb.tmp"), "{ }");
            File.Move(t.In("nb.tmp"), t.In("nb.ipynb"), overwrite: true);
            store.Refresh(t.In("nb.ipynb"));
            File.Move(t.In("nb.ipynb"), t.In("moved.ipynb"));
            Assert.Equal(t.In("moved.ipynb"), store.Locate(id, t.Root));
            Assert.Equal(id, store.GetId(t.In("moved.ipynb")));
        }
        using (var again = new FileIdStore(journal))
        {
            File.Move(t.In("moved.ipynb"), t.In("deep/er/far.ipynb"));
            Assert.Equal(t.In("deep/er/far.ipynb"), again.Locate(id, t.Root));
            File.Delete(t.In("deep/er/far.ipynb"));
            Assert.Null(again.Locate(id, t.Root));
        }
    }

    [Fact]
    public void Ids_are_stable_follow_moves_and_survive_a_restart()
    {
        using var t = new TempRoot();
        var journal = Path.Combine(t.Scratch, "data", "file_ids.jsonl");
        string a, b, c;
        using (var store = new FileIdStore(journal))
        {
            (a, var created) = store.Index(t.In("a.ipynb"));
            Assert.True(created);
            Assert.Equal((a, false), store.Index(t.In("a.ipynb")));
            b = store.Index(t.In("dir/b.txt")).Id;
            c = store.Index(t.In("dir/sub/c.txt")).Id;
            store.Move(t.In("a.ipynb"), t.In("renamed.ipynb"));
            store.Move(t.In("dir"), t.In("moved"));
            Assert.Equal(t.In("renamed.ipynb"), store.GetPath(a));
            Assert.Equal(t.In("moved/sub/c.txt"), store.GetPath(c));
            Assert.Null(store.GetId(t.In("a.ipynb")));
        }
        using (var again = new FileIdStore(journal))
        {
            Assert.Equal(a, again.GetId(t.In("renamed.ipynb")));
            Assert.Equal(b, again.GetId(t.In("moved/b.txt")));
            Assert.Equal(c, again.GetId(t.In("moved/sub/c.txt")));
            again.Delete(t.In("moved"));
            Assert.Null(again.GetPath(b));
            Assert.Null(again.GetPath(c));
            Assert.Equal(1, again.Count);
        }
        using var third = new FileIdStore(journal);
        Assert.Equal(1, third.Count);
    }

    [Fact]
    public void A_move_onto_an_indexed_path_replaces_its_id_and_a_sibling_prefix_is_not_moved()
    {
        using var t = new TempRoot();
        using var store = new FileIdStore(Path.Combine(t.Scratch, "ids.jsonl"));
        var x = store.Index(t.In("x.txt")).Id;
        var y = store.Index(t.In("y.txt")).Id;
        var sibling = store.Index(t.In("dir2/z.txt")).Id;
        store.Index(t.In("dir/z.txt"));
        store.Move(t.In("x.txt"), t.In("y.txt"));
        Assert.Equal(x, store.GetId(t.In("y.txt")));
        Assert.Null(store.GetPath(y));
        store.Move(t.In("dir"), t.In("other"));
        Assert.Equal(t.In("dir2/z.txt"), store.GetPath(sibling));
    }

    [Fact]
    public void A_torn_journal_line_is_ignored_and_later_entries_still_count()
    {
        using var t = new TempRoot();
        var journal = Path.Combine(t.Scratch, "ids.jsonl");
        string a;
        using (var store = new FileIdStore(journal)) a = store.Index(t.In("a.txt")).Id;
        File.AppendAllText(journal, "{\"op\":\"index\",\"id\":\"trunc");   // a crash mid-append
        string b;
        using (var store = new FileIdStore(journal)) b = store.Index(t.In("b.txt")).Id;
        using var after = new FileIdStore(journal);
        Assert.Equal(a, after.GetId(t.In("a.txt")));
        Assert.Equal(b, after.GetId(t.In("b.txt")));
    }
}
