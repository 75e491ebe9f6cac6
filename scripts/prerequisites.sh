#!/usr/bin/env bash
# Installs what HealthMedallion needs from Debian when it is missing: the three servers the app host starts
# (PostgreSQL, Redis, RabbitMQ) and Node.js/npm for the dashboard's front-end packages.
# Run by run.sh and test.sh. Without root or sudo it prints the exact command and stops.
set -euo pipefail
source "$(dirname "$0")/as-root.sh"

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  if ! as_root; then
    echo "HealthMedallion needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} (Debian packages)..."
  "${AS_ROOT[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${AS_ROOT[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is needed (dotnet on PATH)." >&2
  exit 1
fi
