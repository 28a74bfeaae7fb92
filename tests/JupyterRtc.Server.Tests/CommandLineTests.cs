using Microsoft.Extensions.Configuration;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Jupyter_spellings_map_to_configuration_keys()
    {
        var cl = CommandLine.Parse(["--ip=0.0.0.0", "--port", "9000", "--port-retries=0", "--notebook-dir=/data",
            "--ServerApp.base_url=/x/", "--IdentityProvider.token=abc", "--no-browser", "--allow-root",
            "--NotebookApp.allow_origin=*", "--ServerApp.local_hostnames=['a', 'b']", "--FileContentsManager.delete_to_trash", "False"]);
        Assert.Equal("0.0.0.0", cl.Settings["ServerApp:ip"]);
        Assert.Equal("9000", cl.Settings["ServerApp:port"]);
        Assert.Equal("0", cl.Settings["ServerApp:port_retries"]);
        Assert.Equal("/data", cl.Settings["ServerApp:root_dir"]);
        Assert.Equal("/x/", cl.Settings["ServerApp:base_url"]);
        Assert.Equal("abc", cl.Settings["IdentityProvider:token"]);
        Assert.Equal("False", cl.Settings["ServerApp:open_browser"]);
        Assert.Equal("True", cl.Settings["ServerApp:allow_root"]);
        Assert.Equal("*", cl.Settings["ServerApp:allow_origin"]);
        Assert.Equal("a", cl.Settings["ServerApp:local_hostnames:0"]);
        Assert.Equal("b", cl.Settings["ServerApp:local_hostnames:1"]);
        Assert.Equal("False", cl.Settings["FileContentsManager:delete_to_trash"]);
    }

    [Theory]
    [InlineData("--frobnicate", "--frobnicate")]
    [InlineData("--NoSuchApp.x=1", "NoSuchApp")]
    [InlineData("--port", "needs a value")]
    public void Unknown_options_are_errors_that_name_them(string arg, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => CommandLine.Parse([arg]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Base_url_is_normalised_and_loopback_binds_refuse_remote_hosts()
    {
        Assert.Equal("/a/b/", ServerAppOptions.NormalizeBaseUrl("a/b"));
        Assert.True(ServerAppOptions.IsLoopback("127.0.0.1"));
        Assert.True(ServerAppOptions.IsLoopback("localhost"));
        Assert.False(ServerAppOptions.IsLoopback("0.0.0.0"));
    }

    [Fact]
    public void Config_files_are_layered_and_the_command_line_wins()
    {
        var dir = Directory.CreateTempSubdirectory("jrtc-cfg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "jupyter_server_config.json"),
                "{\"ServerApp\": {\"port\": 9123, \"base_url\": \"/cfg/\", \"tornado_settings\": {\"headers\": {\"X-Test\": \"1\"}}}}");
            Directory.CreateDirectory(Path.Combine(dir, "jupyter_server_config.d"));
            File.WriteAllText(Path.Combine(dir, "jupyter_server_config.d", "ext.json"), "{\"ServerApp\": {\"port\": 9124}}");
            var settings = JupyterConfigFiles.Load([dir], null, _ => { });
            Assert.Equal("9124", settings["ServerApp:port"]);
            Assert.Equal("/cfg/", settings["ServerApp:base_url"]);
            Assert.Equal("1", settings["ServerApp:tornado_settings:headers:X-Test"]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("YDocExtension:document_save_delay", "soon", "YDocExtension.document_save_delay")]
    [InlineData("YDocExtension:document_cleanup_delay", "-2", "YDocExtension.document_cleanup_delay")]
    public void Collaboration_durations_that_are_not_seconds_are_errors_naming_the_setting(string key, string value, string name)
    {
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var e = Assert.Throws<ArgumentException>(() => Api.Collaboration.CollaborationSettings.Bind(bad));
        Assert.Contains(name, e.Message);
        Assert.Contains(value, e.Message);
        // None switches autosave off (as in jupyter-collaboration); a number is seconds.
        var off = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            { ["YDocExtension:document_save_delay"] = "None", ["YDocExtension:document_cleanup_delay"] = "2.5" }).Build();
        var options = Api.Collaboration.CollaborationSettings.Bind(off);
        Assert.Null(options.SaveDelay);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.CleanupDelay);
    }

    [Theory]
    [InlineData("MappingKernelManager:cull_interval", "soon", "MappingKernelManager.cull_interval")]
    [InlineData("KernelManager:shutdown_wait_time", "-1", "KernelManager.shutdown_wait_time")]
    public void Kernel_durations_that_are_not_seconds_are_errors_naming_the_setting(string key, string value, string name)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var e = Assert.Throws<ArgumentException>(() => Api.Kernels.KernelsSettings.KernelOptions(config, new ServerAppOptions()));
        Assert.Contains(name, e.Message);
        Assert.Contains(value, e.Message);
        var ok = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = "2.5" }).Build();
        Api.Kernels.KernelsSettings.KernelOptions(ok, new ServerAppOptions());
    }
}
