#!/usr/bin/env bash
# bench/run.sh contents: JupyterRtc against Debian's Jupyter Server 1.23 on the same machine, in one run.
# Needs: the Release build (built here if missing), Node 20, /usr/bin/python3 -m jupyter_server.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f src/JupyterRtc.Server/bin/Release/net10.0/jupyter-rtc.dll ] || [ "${BENCH_REBUILD:-1}" = 1 ]; then
  dotnet build src/JupyterRtc.Server -c Release -v quiet -nologo >/dev/null
fi
export JUPYTER_RTC_BUILD="$PWD/src/JupyterRtc.Server/bin/Release/net10.0"
NODE_PATH="$PWD/tests/node/node_modules" node bench/contents/bench.mjs "$@"
