#!/usr/bin/env bash
# bench/run.sh contents: JupyterRtc against Debian's Jupyter Server 1.23 on the same machine, in one run.
# Needs: the .NET SDK, Node 20, /usr/bin/python3 -m jupyter_server.
# JupyterRtc runs as it is deployed (docker/Dockerfile): the Deploy publish profile (self-contained, composite ReadyToRun), into
# bench/results/build. BENCH_BUILD=/path/to/dir skips the publish and uses that build (e.g. the plain JIT build).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BENCH_BUILD:-}" ]; then
  BENCH_BUILD="$PWD/bench/results/build"
  dotnet publish src/JupyterRtc.Server -p:PublishProfile=Deploy -o "$BENCH_BUILD" -v quiet -nologo >/dev/null
fi
export JUPYTER_RTC_BUILD="$BENCH_BUILD"
NODE_PATH="$PWD/tests/node/node_modules" node bench/contents/bench.mjs "$@"
