#!/usr/bin/env bash
# Benchmarks (not tests): bash bench/run.sh SUITE [SUITE...]   with SUITE one of: contents crdt kernels rooms execution
# Each suite lives in bench/<suite>/run.sh, runs its peer (Jupyter Server, Yjs, ...) in the same run, and prints one
#   RESULT suite=<suite> metric=<name> ours=<value> peer=<peer>:<value> ratio=<ours/peer>
# line per measurement. Results are also appended to bench/results/<suite>.txt. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: bash bench/run.sh SUITE [SUITE...]   (suites: $(ls -d bench/*/ | xargs -n1 basename | tr '\n' ' '))"; exit 2; }
mkdir -p bench/results
for suite in "$@"; do
  [ -x "bench/$suite/run.sh" ] || [ -f "bench/$suite/run.sh" ] || { echo "no such suite: $suite"; exit 2; }
  echo "== bench $suite ($(date -u +%FT%TZ), $(nproc) cores)"
  bash "bench/$suite/run.sh" 2>&1 | tee "bench/results/$suite.txt"
done
