using System.Text.Json.Nodes;
using JupyterRtc.Kernels;

namespace JupyterRtc.Server.Api.Events;

/// <summary>
/// Kernel actions on the event bus, as jupyter_server's <c>kernel_actions/v1</c> schema: <c>start</c> when a kernel is
/// started, <c>restart</c> when it has restarted (asked for or automatic), <c>shutdown</c> when it is removed.
/// </summary>
public static class KernelEvents
{
    public static void Wire(IServiceProvider services)
    {
        var bus = services.GetRequiredService<EventBus>();
        var kernels = services.GetRequiredService<IKernelManager>();
        kernels.KernelStarted += kernel =>
        {
            Emit(bus, "start", kernel, "Kernel started");
            kernel.Lifecycle += (k, state) =>
            {
                if (state is KernelLifecycle.Restarted or KernelLifecycle.AutoRestarted) Emit(bus, "restart", k, "Kernel restarted");
            };
        };
        kernels.KernelRemoved += kernel => Emit(bus, "shutdown", kernel, "Kernel shut down");
    }

    private static void Emit(EventBus bus, string action, Kernel kernel, string msg) =>
        bus.Emit(EventBus.KernelActionsSchema, new JsonObject
        {
            ["action"] = action, ["kernel_id"] = kernel.Id, ["kernel_name"] = kernel.Name, ["status"] = "success", ["msg"] = msg,
        });
}
