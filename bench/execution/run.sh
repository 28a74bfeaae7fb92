#!/usr/bin/env bash
# bench/run.sh execution: server-side execution into a shared notebook with 10 collaborators, against direct ZeroMQ
# (the limit) and Debian's Jupyter Server 1.23 with 10 kernel websocket clients. See docs/benchmarks.md.
# Knobs (environment: bench/run.sh passes no options): EBENCH_SIZES=10000,100000,1000000 EBENCH_CLIENTS=10
# EBENCH_TIMEOUT=600 (seconds per N for ours), EBENCH_JUPYTER=0 skips Jupyter Server, BENCH_REBUILD=0 reuses the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d tests/node/node_modules ] || (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
if [ ! -f src/JupyterRtc.Server/bin/Release/net10.0/jupyter-rtc.dll ] || [ "${BENCH_REBUILD:-1}" = 1 ]; then
  dotnet build src/JupyterRtc.Server -c Release -v quiet -nologo >/dev/null
fi
dotnet build bench/kernels/KernelBench -c Release -v quiet -nologo >/dev/null
export JUPYTER_RTC_BUILD="$PWD/src/JupyterRtc.Server/bin/Release/net10.0"
sizes=${EBENCH_SIZES:-10000,100000,1000000} clients=${EBENCH_CLIENTS:-10}
peers=$(mktemp /tmp/ebench-peers-XXXXXX.json)
trap 'rm -f "$peers"' EXIT
echo "peers: direct ZeroMQ and Jupyter Server 1.23 ($clients websocket clients), N = $sizes"
EBENCH_SIZES="$sizes" EBENCH_CLIENTS="$clients" dotnet bench/kernels/KernelBench/bin/Release/net10.0/KernelBench.dll --execution "$peers"
echo "ours: JupyterRtc, $clients Yjs clients in the room"
node bench/execution/bench.mjs --peers "$peers" --sizes "$sizes" --clients "$clients" --timeout "${EBENCH_TIMEOUT:-600}"
