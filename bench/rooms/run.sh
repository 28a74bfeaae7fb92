#!/usr/bin/env bash
# bench/run.sh rooms: JupyterRtc's rooms against y-websocket's server and Hocuspocus, same workload, same run.
# Needs: the .NET SDK, Node 20, tests/node's npm packages (y-websocket, yjs); installs Hocuspocus into bench/rooms.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d tests/node/node_modules ] || (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
[ -d bench/rooms/node_modules/@hocuspocus ] || (cd bench/rooms && npm install --no-audit --no-fund --loglevel=error)
if [ -z "${BENCH_BUILD:-}" ]; then
  BENCH_BUILD="$PWD/bench/results/build"
  dotnet publish src/JupyterRtc.Server -p:PublishProfile=Deploy -o "$BENCH_BUILD" -v quiet -nologo >/dev/null
fi
export JUPYTER_RTC_BUILD="$BENCH_BUILD"
node bench/rooms/bench.mjs "$@"
