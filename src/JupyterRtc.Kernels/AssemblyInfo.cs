namespace JupyterRtc.Kernels;
