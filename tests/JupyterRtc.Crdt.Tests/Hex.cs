namespace JupyterRtc.Crdt.Tests;

internal static class Hex
{
    public static byte[] Parse(string s) => Convert.FromHexString(s.Replace(" ", "").Replace("\n", ""));
    public static string Of(byte[] b) => string.Join(" ", b.Select(x => x.ToString("x2")));
}
