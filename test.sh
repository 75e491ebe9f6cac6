#!/usr/bin/env bash
# Runs every test of the solution against real PostgreSQL, Redis and RabbitMQ servers, started once for the
# whole run, and ends with one line: "N passed, N failed" (", N skipped" when some were).
set -uo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh || exit 1

work=$(mktemp -d -t healthmedallion-test.XXXXXX)
servers_pid=""
cleanup() {
  if [ -n "$servers_pid" ] && kill -0 "$servers_pid" 2>/dev/null; then
    kill -TERM "$servers_pid" 2>/dev/null
    wait "$servers_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build"
if ! dotnet build HealthMedallion.sln -c Debug -nologo -clp:ErrorsOnly -v:quiet; then
  echo "0 passed, 1 failed (the build failed)"
  exit 1
fi

echo "== test servers"
dotnet tests/TestServers/bin/Debug/net10.0/HealthMedallion.TestServers.dll "$work/servers.env" >"$work/servers.log" 2>&1 &
servers_pid=$!
for _ in $(seq 1 240); do
  [ -f "$work/servers.env" ] && break
  kill -0 "$servers_pid" 2>/dev/null || break
  sleep 0.5
done
if [ ! -f "$work/servers.env" ]; then
  cat "$work/servers.log"
  echo "0 passed, 1 failed (the test servers did not start)"
  exit 1
fi
# shellcheck disable=SC1091
source "$work/servers.env"
cat "$work/servers.log"

echo "== test"
# Each test project writes <project>.trx (tests/Directory.Build.props); the summary is counted from them.
dotnet test HealthMedallion.sln --no-build -c Debug -nologo --results-directory "$work/results"
status=$?

count() { cat "$work"/results/*.trx 2>/dev/null | grep -o "<UnitTestResult [^>]*outcome=\"$1\"" | wc -l; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count NotExecuted)
# A test host that crashed reports no result for its tests: count it as a failure, never as a pass.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
