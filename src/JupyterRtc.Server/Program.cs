using JupyterRtc.Server.Hosting;

// Entry point: `dotnet run --project src/JupyterRtc.Server -- [jupyter-style options]`.
return await ServerHost.RunAsync(args);
