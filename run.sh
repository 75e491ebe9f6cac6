#!/usr/bin/env bash
# Starts the whole HealthMedallion stack: servers, services, gateway and dashboard.
# Arguments go to the app host (e.g. --fresh wipes .medallion/, --Gateway:Port=9090).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/prerequisites.sh
bash scripts/huge-pages.sh
dotnet build AppHost -c Debug -nologo -v:quiet -clp:ErrorsOnly
# The host itself (not `dotnet run`, which does not pass SIGTERM on) so that Ctrl-C and SIGTERM reach it.
exec dotnet AppHost/bin/Debug/net10.0/HealthMedallion.AppHost.dll "$@"
