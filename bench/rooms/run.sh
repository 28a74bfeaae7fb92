#!/usr/bin/env bash
# bench/run.sh rooms: JupyterRtc's rooms against y-websocket's server and Hocuspocus, same workload, same run.
# Needs: the .NET SDK, Node 20, tests/node's npm packages (y-websocket, yjs); installs Hocuspocus into bench/rooms.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d tests/node/node_modules ] || (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
[ -d bench/rooms/node_modules/@hocuspocus ] || (cd bench/rooms && npm install --no-audit --no-fund --loglevel=error)
source bench/deployed-build.sh          # JUPYTER_RTC_BUILD: the Deploy publish (or BENCH_BUILD)
node bench/rooms/bench.mjs "$@"
