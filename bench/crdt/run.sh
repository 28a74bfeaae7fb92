#!/usr/bin/env bash
# bench/run.sh crdt: the B4 editing trace (Kleppmann & Beresford, CC-BY 4.0) in JupyterRtc.Crdt and in npm yjs 13.6,
# in the same run: apply one edit per transaction (without and with an updateV2 listener), encode the final document
# (v1, v2), decode it into a fresh document, heap held by the finished document, and whether the bytes are identical.
# BENCH_RUNS=n takes the median of n runs (default 1). B4_DIR overrides where the trace is.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
B4="${B4_DIR:-}"
if [ -z "$B4" ]; then
  for d in "$ROOT/tests/data/b4" "$ROOT/../shared/data/b4" "$ROOT/../../shared/data/b4"; do [ -f "$d/b4-edits.json" ] && B4=$(cd "$d" && pwd) && break; done
fi
[ -n "$B4" ] || { echo "B4 data not found (set B4_DIR)"; exit 1; }
RUNS="${BENCH_RUNS:-1}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
dotnet build bench/crdt/CrdtBench -c Release -v quiet -nologo >/dev/null
NODE_PATH="$ROOT/tests/node/node_modules" node --expose-gc bench/crdt/yjs.js "$B4" "$TMP" "$RUNS" > "$TMP/yjs.json"
dotnet bench/crdt/CrdtBench/bin/Release/net10.0/CrdtBench.dll "$B4" "$TMP/yjs.json" "$TMP" "$RUNS"
