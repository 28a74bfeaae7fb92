namespace JupyterRtc.Contents;
