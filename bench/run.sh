#!/usr/bin/env bash
# Benchmarks (not tests): bash bench/run.sh SUITE [--option value ...] [SUITE [--option ...] ...]
#   with SUITE one of: contents crdt kernels rooms execution. Options after a suite go to that suite's run.sh.
# Each suite lives in bench/<suite>/run.sh, runs its peer (Jupyter Server, Yjs, ...) in the same run, and prints one
#   RESULT suite=<suite> metric=<name> ours=<value> peer=<peer>:<value> ratio=<ours/peer>
# line per measurement. Results are also appended to bench/results/<suite>.txt. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: bash bench/run.sh SUITE [options] [SUITE [options]...]   (suites: $(ls -d bench/*/ | xargs -n1 basename | grep -v results | tr '\n' ' '))"; exit 2; }
mkdir -p bench/results
suites=(); declare -A opts=()
for arg in "$@"; do
  if [[ "$arg" == -* || ( ${#suites[@]} -gt 0 && ! -f "bench/$arg/run.sh" && -n "${opts[${suites[-1]}]:-}" ) ]]; then
    [ ${#suites[@]} -gt 0 ] || { echo "option $arg before any suite"; exit 2; }
    opts[${suites[-1]}]+=" $(printf '%q' "$arg")"
  else
    [ -f "bench/$arg/run.sh" ] || { echo "no such suite: $arg"; exit 2; }
    suites+=("$arg"); opts[$arg]=""
  fi
done
for suite in "${suites[@]}"; do
  echo "== bench $suite ($(date -u +%FT%TZ), $(nproc) cores)"
  eval "bash bench/$suite/run.sh ${opts[$suite]}" 2>&1 | tee "bench/results/$suite.txt"
done
