using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// <c>jupyter-rtc nbvalidate FILE...</c>: validates notebooks with the same schema and rules the server applies, one
/// line per file (<c>valid</c> or <c>invalid: reason</c>); exit code 1 when any is invalid. Operators use it to check a
/// directory before serving it; the tests use it to compare our verdicts with nbformat's.
/// </summary>
public static class NotebookValidateCommand
{
    public static int Run(IReadOnlyList<string> files)
    {
        var anyInvalid = false;
        foreach (var file in files)
        {
            string verdict;
            try
            {
                using var doc = JsonTape.Parse(File.ReadAllBytes(file), NotebookFormat.MaxDepth);
                var error = NotebookValidator.Validate(doc.Root);
                verdict = error == null ? "valid" : "invalid: " + error.Message.ReplaceLineEndings(" ");
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
            {
                verdict = "invalid: " + e.Message.ReplaceLineEndings(" ");
            }
            anyInvalid |= verdict != "valid";
            Console.WriteLine($"{file}\t{verdict}");
        }
        return anyInvalid ? 1 : 0;
    }
}
