namespace JupyterRtc.Crdt;
