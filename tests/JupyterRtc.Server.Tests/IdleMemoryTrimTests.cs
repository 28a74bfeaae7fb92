using JupyterRtc.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JupyterRtc.Server.Tests;

/// <summary>
/// When the idle trim runs (<see cref="IdleMemoryTrim.Policy"/>, on a made-up clock and collection count) and how it is
/// configured. That it returns memory in the real program: <see cref="ProcessTests"/>.
/// </summary>
public sealed class IdleMemoryTrimTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Spacing = TimeSpan.FromSeconds(60);
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Trims_once_the_collection_count_has_not_moved_for_the_quiet_time()
    {
        var p = new IdleMemoryTrim.Policy(Quiet, Spacing);
        Assert.False(p.ShouldTrim(3, S(0)));
        Assert.False(p.ShouldTrim(3, S(4.9)));
        Assert.False(p.ShouldTrim(4, S(5)));       // a collection: busy, the quiet time starts again
        Assert.False(p.ShouldTrim(4, S(9.9)));
        Assert.True(p.ShouldTrim(4, S(10)));
    }

    [Fact]
    public void An_idle_server_trims_once_and_not_again_until_something_has_run()
    {
        var p = new IdleMemoryTrim.Policy(Quiet, Spacing);
        p.ShouldTrim(3, S(0));
        Assert.True(p.ShouldTrim(3, S(5)));
        p.Trimmed(4, S(5));                         // the trim is a collection itself
        Assert.False(p.ShouldTrim(4, S(100)));
        Assert.False(p.ShouldTrim(4, S(1000)));
        Assert.False(p.ShouldTrim(5, S(1001)));     // work resumed...
        Assert.True(p.ShouldTrim(5, S(1006)));      // ...and stopped again
    }

    [Fact]
    public void Trims_are_at_least_the_minimum_spacing_apart()
    {
        var p = new IdleMemoryTrim.Policy(Quiet, Spacing);
        p.ShouldTrim(1, S(0));
        Assert.True(p.ShouldTrim(1, S(5)));
        p.Trimmed(2, S(5));
        p.ShouldTrim(3, S(10));
        Assert.False(p.ShouldTrim(3, S(20)));       // quiet, but only 15 s after the last trim
        Assert.False(p.ShouldTrim(3, S(64.9)));
        Assert.True(p.ShouldTrim(3, S(65)));
    }

    private static bool Registered(string? value)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(value == null ? [] :
            new Dictionary<string, string?> { ["JupyterRtc:memory_trim_after"] = value }).Build();
        var services = new ServiceCollection();
        IdleMemoryTrim.Add(services, config);
        return services.Any(d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public void On_by_default_off_with_None_or_0_and_a_bad_value_is_an_error_naming_the_setting()
    {
        Assert.True(Registered(null));
        Assert.True(Registered("2.5"));
        Assert.False(Registered("None"));
        Assert.False(Registered("0"));
        var e = Assert.Throws<ArgumentException>(() => Registered("soon"));
        Assert.Contains("JupyterRtc.memory_trim_after", e.Message);
        Assert.Throws<ArgumentException>(() => Registered("-1"));
    }
}
