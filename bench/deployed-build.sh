# Sourced by the suites that start our server (bench/<suite>/run.sh, from the repository root): sets JUPYTER_RTC_BUILD
# to JupyterRtc as it is deployed (the Deploy publish profile, as docker/Dockerfile: self-contained, composite
# ReadyToRun), published into bench/results/build. BENCH_BUILD=/path/to/dir skips the publish and uses that build.
if [ -z "${BENCH_BUILD:-}" ]; then
  BENCH_BUILD="$PWD/bench/results/build"
  dotnet publish src/JupyterRtc.Server -p:PublishProfile=Deploy -o "$BENCH_BUILD" -v quiet -nologo >/dev/null
fi
export JUPYTER_RTC_BUILD="$BENCH_BUILD"
