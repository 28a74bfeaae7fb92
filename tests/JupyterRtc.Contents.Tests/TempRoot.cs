namespace JupyterRtc.Contents.Tests;

/// <summary>A temporary directory holding a root (<c>root/</c>) and room outside it, deleted on dispose.</summary>
public sealed class TempRoot : IDisposable
{
    public string Scratch { get; } = Directory.CreateTempSubdirectory("jrtc-contents-").FullName;
    public string Root => Path.Combine(Scratch, "root");
    public string Outside => Path.Combine(Scratch, "outside");

    public TempRoot()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
    }

    public string In(string relative) => Path.Combine(Root, relative);

    public ContentsManager Manager(Action<ContentsOptions>? configure = null)
    {
        var options = new ContentsOptions { RootDir = Root, DeleteToTrash = false, TrashDir = Path.Combine(Scratch, "trash") };
        configure?.Invoke(options);
        return new ContentsManager(options);
    }

    public void Dispose()
    {
        try { Directory.Delete(Scratch, true); } catch (IOException) { }
    }
}
