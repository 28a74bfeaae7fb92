#!/usr/bin/env bash
# Builds JupyterLab 4.6.3 with the collaboration extensions from npm into the layout `pip install jupyterlab` has:
#   .cache/prefix/share/jupyter/lab/{static,schemas,themes}
# A stamp of the recipe's inputs makes a re-run with unchanged inputs a no-op (a few milliseconds).
# LAB_NOCOLLAB=1 builds the same app without @jupyter/collaboration-extension and @jupyter/docprovider-extension
# into .cache/prefix-nocollab instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
recipe="$here/jupyterlab"
if [ -n "${LAB_NOCOLLAB:-}" ]; then prefix="$here/.cache/prefix-nocollab"; else prefix="$here/.cache/prefix"; fi
app="$prefix/share/jupyter/lab"
stamp_value="$(cat "$recipe"/package.json "$recipe"/package-lock.json "$recipe"/rspack.config.js "$recipe"/index*.js "$0" | sha256sum | cut -c1-16)${LAB_NOCOLLAB:+-nocollab}"
if [ -f "$app/.stamp" ] && [ "$(cat "$app/.stamp")" = "$stamp_value" ] && [ -f "$app/static/bundle.js" ]; then
  echo "frontend: up to date in $app"
  exit 0
fi
cd "$recipe"
# Reinstall whenever the recipe's dependencies changed (a pin must take effect), not only when node_modules is missing.
deps_stamp="$(cat package.json package-lock.json | sha256sum | cut -c1-16)"
if [ ! -d node_modules/@rspack/core ] || [ "$(cat node_modules/.deps-stamp 2>/dev/null)" != "$deps_stamp" ]; then
  echo "frontend: npm install (about a minute)"
  npm install --no-audit --no-fund --loglevel=error
  echo "$deps_stamp" > node_modules/.deps-stamp
fi
mkdir -p "$here/.cache"
# index.js imports ./build/style.js (index-nocollab.js ./build-nocollab/style.js), which the build writes: build in
# place, then move the output.
if [ -n "${LAB_NOCOLLAB:-}" ]; then stage="$recipe/build-nocollab"; export LAB_OUT=./build-nocollab; else stage="$recipe/build"; fi
rm -rf "$stage"
echo "frontend: rspack build"
npx rspack >"$here/.cache/rspack.log" 2>&1 || { tail -40 "$here/.cache/rspack.log"; exit 1; }
rm -rf "$app"
mkdir -p "$app"
mv "$stage/schemas" "$app/schemas"
mv "$stage/themes" "$app/themes"
mv "$stage" "$app/static"
# What a pip install has besides: the version of the app in static/package.json.
node -e 'const p=require("@jupyterlab/application/package.json");require("fs").writeFileSync(process.argv[1],JSON.stringify({name:"@jupyterlab/application-top",version:"4.6.3"},null,2))' "$app/static/package.json"
# Site defaults as an administrator sets them in {app_dir}/settings/overrides.json: no news toast on a closed network.
mkdir -p "$app/settings"
echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' >"$app/settings/overrides.json"
echo "$stamp_value" >"$app/.stamp"
echo "frontend: built into $app"
