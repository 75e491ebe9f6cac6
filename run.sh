#!/usr/bin/env bash
# Starts the whole HealthMedallion stack: servers, services, gateway and dashboard.
# Arguments go to the app host (e.g. --fresh wipes .medallion/, --Gateway:Port=9090).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh
exec dotnet run --project AppHost -- "$@"
