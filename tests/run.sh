#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian packages, npm packages),
# builds, runs every suite, and ends with one line "N passed, N failed[, N skipped]" summed over all suites.
# Usage: bash tests/run.sh            (everything)
#        bash tests/run.sh --no-setup  (skip the apt/npm step on a machine that already has them)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.test-output"
rm -rf "$OUT"; mkdir -p "$OUT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PYDEVD_DISABLE_FILE_VALIDATION=1

setup=1
[ "${1:-}" = "--no-setup" ] && setup=0

# Why each failed test failed (its assertion or error, where, and what was expected), collected from every suite and
# printed again just before the last line: CI shows only the end of the output.
FAILURES="$OUT/failures.txt"
tap_failures() {  # a node --test TAP file: each "not ok" test with its error, expected/actual and its line in the test
  awk '/^ *not ok / && !/\.test\.mjs$/ { name = $0; sub(/^ *not ok [0-9]+ - /, "", name); print "- " name; grab = 1; next }
       !grab { next }
       /^ *\.\.\.$/ { grab = 0; next }
       /^  +[a-zA-Z_]+:/ { key = $1; sub(/:$/, "", key); kept = 0
         if (key ~ /^(location|error|expected|actual)$/ && $0 !~ /\|-$/) { line = $0; sub(/^ +/, "    ", line); print line }
         else if (key ~ /^(error|expected|actual)$/) print "    " key ":"
         next }
       key ~ /^(error|expected|actual)$/ && kept < 4 && $0 !~ /^ *$/ { line = $0; sub(/^ +/, "      ", line); print line; kept++ }
       key == "stack" && kept < 2 && /\/tests\// { line = $0; sub(/^ +/, "      at ", line); print line; kept++ }' "$1" >> "$FAILURES"
}

# ---- 1. What the suites need -------------------------------------------------------------------------------------
APT_PACKAGES=(python3-ipykernel python3-jupyter-client jupyter-client python3-jupyter-server python3-websocket
              python3-nbformat python3-jsonschema jupyterhub chromium)
if [ $setup = 1 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ ! -d tests/node/node_modules ] || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then
    echo "== installing npm packages (tests/node)"
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error) || exit 1
  fi
fi

# ---- 2. Build ----------------------------------------------------------------------------------------------------
echo "== building"
if ! dotnet build JupyterRtc.sln -c Release -v q -nologo > "$OUT/build.log" 2>&1; then
  cat "$OUT/build.log"; echo "0 passed, 1 failed"; exit 1
fi

passed=0; failed=0; skipped=0

# ---- 3. .NET suites ------------------------------------------------------------------------------------------------
for proj in tests/*/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  dotnet test "$proj" -c Release --no-build --nologo -v q \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
      --results-directory "$OUT" 2>&1 | tee "$OUT/$name.log" | grep -vE '^\s*$' | tail -n 40
  grep -A8 -E '^\s*Failed [A-Za-z_]' "$OUT/$name.log" | grep -vE '^\s*$|^--$' | head -n 30 | sed 's/^ */    /; s/^    Failed /- /' >> "$FAILURES"
  trx="$OUT/$name.trx"
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
    p=$(get passed); f=$(get failed); e=$(get error); t=$(get total); x=$(get executed)
    f=$(( ${f:-0} + ${e:-0} )); s=$(( ${t:-0} - ${x:-0} ))
    passed=$((passed + ${p:-0})); failed=$((failed + f)); skipped=$((skipped + s))
  else
    echo "!! $name produced no results"; failed=$((failed + 1))
  fi
done

# ---- 4. Node suites (the npm clients against our server) ------------------------------------------------------------
mapfile -t node_tests < <(find tests/node -name node_modules -prune -o -name '*.test.mjs' -print | sort)
if [ ${#node_tests[@]} -gt 0 ]; then
  echo "== node: ${#node_tests[@]} files"
  export JUPYTER_RTC_BUILD="$ROOT/src/JupyterRtc.Server/bin/Release/net10.0"
  # A test file whose process never exits (a client timer left running) must not hang CI: 15 minutes at most.
  timeout 900 node --test --test-reporter=tap --test-concurrency=1 --test-timeout=300000 "${node_tests[@]}" > "$OUT/node.tap" 2>&1 \
    || { [ $? = 124 ] && echo "!! node suites timed out" && echo "# fail 1" >> "$OUT/node.tap"; }
  grep -E '^not ok|^# (pass|fail|skipped|todo)' "$OUT/node.tap" | head -n 60
  tap_failures "$OUT/node.tap"
  np=$(grep -E '^# pass ' "$OUT/node.tap" | tail -1 | grep -o '[0-9]*')
  nf=$(grep -E '^# fail ' "$OUT/node.tap" | tail -1 | grep -o '[0-9]*')
  ns=0; for n in $(grep -E '^# (skipped|todo) ' "$OUT/node.tap" | grep -o '[0-9]*'); do ns=$((ns + n)); done
  [ -z "$np" ] && [ -z "$nf" ] && nf=1
  passed=$((passed + ${np:-0})); failed=$((failed + ${nf:-0})); skipped=$((skipped + ${ns:-0}))
fi

# ---- 5. Python suites (reference tools: nbformat's validator, the differential run against Jupyter Server) ----------
mapfile -t py_tests < <(find tests/python -name 'test_*.py' 2>/dev/null | sort)
for t in "${py_tests[@]}"; do
  echo "== $t"
  # Each script prints its own "N passed, N failed" as its last line.
  JUPYTER_RTC_BUILD="$ROOT/src/JupyterRtc.Server/bin/Release/net10.0" /usr/bin/python3 "$t" > "$OUT/$(basename "$t").log" 2>&1
  rc=$?
  tail -n 15 "$OUT/$(basename "$t").log"
  grep -E '^FAIL ' "$OUT/$(basename "$t").log" | head -n 10 | sed 's/^/- /' >> "$FAILURES"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT/$(basename "$t").log" | tail -1)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | awk '{print $1}'))); failed=$((failed + $(echo "$line" | awk '{print $3}' | tr -d ,)))
  fi
  if [ -z "$line" ] || { [ $rc != 0 ] && ! echo "$line" | grep -qv ' 0 failed'; }; then
    [ -z "$line" ] && failed=$((failed + 1))
  fi
done

# ---- 6. JupyterLab in Chromium (tests/e2e): build the frontend once (cached in tests/e2e/.cache), drive the browser -----
echo "== e2e: JupyterLab in Chromium"
e2e_ok=1
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) > "$OUT/e2e-npm.log" 2>&1 || { cat "$OUT/e2e-npm.log"; e2e_ok=0; }
fi
if [ $e2e_ok = 1 ] && ! { bash tests/e2e/build-frontend.sh && LAB_NOCOLLAB=1 bash tests/e2e/build-frontend.sh; } > "$OUT/e2e-build.log" 2>&1; then
  tail -n 40 "$OUT/e2e-build.log"; e2e_ok=0
fi
if [ $e2e_ok = 1 ]; then
  rm -rf tests/e2e/artifacts
  JUPYTER_RTC_BUILD="$ROOT/src/JupyterRtc.Server/bin/Release/net10.0" \
    node --test --test-reporter=tap --test-concurrency=1 tests/e2e/*.test.mjs > "$OUT/e2e.tap" 2>&1
  grep -E '^ *not ok|^# (pass|fail|skipped|todo)' "$OUT/e2e.tap" | head -n 30
  tap_failures "$OUT/e2e.tap"
  ep=$(grep -E '^# pass ' "$OUT/e2e.tap" | tail -1 | grep -o '[0-9]*')
  ef=$(grep -E '^# fail ' "$OUT/e2e.tap" | tail -1 | grep -o '[0-9]*')
  es=0; for n in $(grep -E '^# (skipped|todo) ' "$OUT/e2e.tap" | grep -o '[0-9]*'); do es=$((es + n)); done
  [ -z "$ep" ] && [ -z "$ef" ] && ef=1
  passed=$((passed + ${ep:-0})); failed=$((failed + ${ef:-0})); skipped=$((skipped + ${es:-0}))
  echo "   screenshots and logs: tests/e2e/artifacts/"
else
  failed=$((failed + 1))
fi

if [ -s "$FAILURES" ]; then echo "== why they failed"; head -n 60 "$FAILURES"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
