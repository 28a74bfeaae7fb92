#!/usr/bin/env bash
# bench/run.sh kernels: three paths to Debian's ipykernel in one run -- direct ZeroMQ from C# (the limit), the JupyterRtc
# kernel websocket (v1), Debian's Jupyter Server 1.23 (legacy protocol). See docs/benchmarks.md.
# Knobs: KBENCH_ROUNDS (1000), KBENCH_LINES (200000), KBENCH_CLIENTS (10), KBENCH_JUPYTER=0 to skip Jupyter Server.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f src/JupyterRtc.Server/bin/Release/net10.0/jupyter-rtc.dll ] || [ "${BENCH_REBUILD:-1}" = 1 ]; then
  dotnet build src/JupyterRtc.Server -c Release -v quiet -nologo >/dev/null
fi
dotnet build bench/kernels/KernelBench -c Release -v quiet -nologo >/dev/null
dotnet bench/kernels/KernelBench/bin/Release/net10.0/KernelBench.dll "$PWD/src/JupyterRtc.Server/bin/Release/net10.0/jupyter-rtc.dll"
