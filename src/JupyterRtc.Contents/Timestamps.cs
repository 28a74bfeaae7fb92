using System.Globalization;

namespace JupyterRtc.Contents;

/// <summary>Jupyter's timestamp format: ISO-8601 in UTC with microseconds and a <c>Z</c>.</summary>
public static class Timestamps
{
    public static string Format(DateTime utc) =>
        utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
