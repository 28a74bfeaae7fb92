#!/usr/bin/env bash
# bench/run.sh contents: JupyterRtc against Debian's Jupyter Server 1.23 on the same machine, in one run.
# Needs: the .NET SDK, Node 20, /usr/bin/python3 -m jupyter_server.
# JupyterRtc runs as it is deployed (bench/deployed-build.sh). BENCH_BUILD=/path/to/dir uses that build instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/deployed-build.sh          # JUPYTER_RTC_BUILD: the Deploy publish (or BENCH_BUILD)
NODE_PATH="$PWD/tests/node/node_modules" node bench/contents/bench.mjs "$@"
