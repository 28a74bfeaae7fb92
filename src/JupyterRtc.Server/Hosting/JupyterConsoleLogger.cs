using System.Globalization;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// Log lines in Jupyter's format, <c>[I 2026-11-22 13:25:58.080 ServerApp] message</c>, so people and tools that read
/// Jupyter's console (VS Code scrapes the URL line) find what they expect.
/// </summary>
public sealed class JupyterConsoleLoggerProvider(TextWriter output) : ILoggerProvider
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName));

    public void Dispose() { }

    internal void Write(LogLevel level, string category, string message)
    {
        var letter = level switch
        {
            LogLevel.Trace or LogLevel.Debug => 'D', LogLevel.Information => 'I', LogLevel.Warning => 'W',
            LogLevel.Error => 'E', _ => 'C',
        };
        var line = $"[{letter} {DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} {category}] {message}";
        lock (_lock) { output.WriteLine(line); output.Flush(); }
    }

    private static string ShortName(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }

    private sealed class Logger(JupyterConsoleLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            if (exception != null) message += Environment.NewLine + exception;
            provider.Write(logLevel, category, message);
        }
    }
}
