using System.Text.Json;
using JupyterRtc.Kernels;
using JupyterRtc.Server.Auth;
using JupyterRtc.Server.Http;

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

    /// <summary>The kernels the requester may see, in the manager's order.</summary>
    public static IEnumerable<Kernel> Visible(HttpContext context, IKernelManager kernels) =>
        kernels.List().Where(k => CanUse(context, k));

    /// <summary>A session follows the same rule as kernels: a private session is only its owner's.</summary>
    public static bool CanUse(HttpContext context, KernelSession session) =>
        session.Owner == null || string.Equals(session.Owner, UserName(context), StringComparison.Ordinal);

    /// <summary>
    /// The <c>private</c> field of a request body object: true, false, or null when absent. Anything but a boolean is
    /// refused rather than guessed at, since a wrong guess would share what was meant to stay private.
    /// </summary>
    public static bool? PrivateFlag(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("private", out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null => null,
            _ => throw new BadRequestException("'private' must be true or false"),
        };
    }
}
