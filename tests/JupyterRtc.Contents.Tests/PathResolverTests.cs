namespace JupyterRtc.Contents.Tests;

public sealed class PathResolverTests : IDisposable
{
    private readonly TempRoot _t = new();
    public void Dispose() => _t.Dispose();

    [Theory]
    [InlineData("", "")]
    [InlineData("/", "")]
    [InlineData("a/b/", "a/b")]
    [InlineData("//a//./b", "a/b")]
    public void Normalizes_api_paths(string input, string expected) =>
        Assert.Equal(expected, new PathResolver(_t.Root).Normalize(input));

    [Theory]
    [InlineData("..")]
    [InlineData("../outside")]
    [InlineData("a/../../outside")]
    public void Dot_dot_is_outside_the_root(string path)
    {
        var e = Assert.Throws<ContentsException>(() => new PathResolver(_t.Root).Normalize(path));
        Assert.Equal(404, e.Status);
    }

    [Fact]
    public void Nul_and_over_long_paths_are_400()
    {
        var r = new PathResolver(_t.Root, maxPathLength: 10);
        Assert.Equal(400, Assert.Throws<ContentsException>(() => r.Normalize("a\0b")).Status);
        Assert.Equal(400, Assert.Throws<ContentsException>(() => r.Normalize(new string('a', 11))).Status);
    }

    [Fact]
    public void Symlinks_leaving_the_root_are_refused_and_those_inside_are_followed()
    {
        File.WriteAllText(Path.Combine(_t.Outside, "secret.txt"), "secret");
        File.CreateSymbolicLink(_t.In("file-out"), Path.Combine(_t.Outside, "secret.txt"));
        Directory.CreateSymbolicLink(_t.In("dir-out"), _t.Outside);
        File.CreateSymbolicLink(_t.In("dangling-out"), Path.Combine(_t.Outside, "not-yet.txt"));
        Directory.CreateDirectory(_t.In("real"));
        Directory.CreateSymbolicLink(_t.In("dir-in"), _t.In("real"));
        var r = new PathResolver(_t.Root);
        foreach (var p in new[] { "file-out", "dir-out", "dir-out/secret.txt", "dir-out/new.txt", "dangling-out" })
            Assert.Equal(404, Assert.Throws<ContentsException>(() => r.ToOsPath(p)).Status);
        Assert.Equal(_t.In("dir-in/x.txt"), r.ToOsPath("dir-in/x.txt"));
    }

    [Fact]
    public void A_root_that_is_itself_a_symlink_still_works()
    {
        var link = Path.Combine(_t.Scratch, "rootlink");
        Directory.CreateSymbolicLink(link, _t.Root);
        var r = new PathResolver(link);
        Assert.EndsWith("a.txt", r.ToOsPath("a.txt"));
    }

    [Theory]
    [InlineData(".hidden", true)]
    [InlineData("a/.b/c", true)]
    [InlineData("a/b.c", false)]
    [InlineData("", false)]
    public void Hidden_means_a_segment_starting_with_a_dot(string path, bool hidden) =>
        Assert.Equal(hidden, PathResolver.IsHidden(path));
}
