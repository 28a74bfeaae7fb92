using JupyterRtc.Kernels;
using JupyterRtc.Server.Auth;

namespace JupyterRtc.Server.Api.Kernels;

/// <summary>
/// Who may see and use a kernel. A shared kernel (no owner) is everyone's; a private kernel is only its owner's, and
/// to anyone else it does not exist (404), so that its existence, like its outputs, stays with its owner.
/// </summary>
public static class KernelAccess
{
    /// <summary>The user name a kernel started by this request would be owned by.</summary>
    public static string UserName(HttpContext context) => context.GetUser()?.Username ?? "anonymous";

    public static bool CanUse(HttpContext context, Kernel kernel) =>
        kernel.Owner == null || string.Equals(kernel.Owner, UserName(context), StringComparison.Ordinal);

    /// <summary>The kernel with this id if it exists and the requester may use it; null otherwise.</summary>
    public static Kernel? Find(HttpContext context, IKernelManager kernels, string id) =>
        kernels.Get(id) is { } k && CanUse(context, k) ? k : null;
}
