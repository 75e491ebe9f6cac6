#!/usr/bin/env bash
# Reserves 2 MB huge pages for PostgreSQL's shared memory, sized as the app host sizes its shared buffers (a quarter of
# the memory, at most 8 GB: WithMachineSizedBuffers in Hosting/ResourceBuilder.cs) with room for the rest of the
# segment. Postgres takes them by itself (huge_pages = try, its default) and falls back to ordinary pages when there
# are too few. With them a backend maps its buffers in 2 MB pages instead of 4 kB ones: at a million patients the gold
# rebuild took 47.0-49.8 s against 51.3-53.7 s without, in runs back to back (see services/GoldModeling/README.md).
# The reservation holds the memory until the next boot or until it is lowered (sysctl vm.nr_hugepages=0).
# Run by run.sh; run it before a benchmark. Never fatal: without root or sudo it prints the command and goes on.
set -euo pipefail
source "$(dirname "$0")/as-root.sh"

mem_mib=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
buffers_mib=$(( mem_mib / 4 ))
(( buffers_mib < 128 )) && buffers_mib=128
(( buffers_mib > 8192 )) && buffers_mib=8192
# The segment also holds the buffers' descriptors, the lock tables and the WAL buffers (6,192 MB for 6,026 MB of
# buffers and 300 connections, by Postgres 15's shared_memory_size): the reservation leaves a little more room.
pages=$(( (buffers_mib + buffers_mib / 16 + 64) / 2 ))

current=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if (( current >= pages )); then
  exit 0
fi

if ! as_root; then
  echo "PostgreSQL's ${buffers_mib} MB of shared buffers would sit on huge pages with: sudo sysctl -w vm.nr_hugepages=${pages}" >&2
  exit 0
fi

# Straight to /proc (sysctl is not on every minimal image); a read-only /proc (a container) leaves the count as it was.
"${AS_ROOT[@]}" sh -c "echo ${pages} > /proc/sys/vm/nr_hugepages" 2>/dev/null || true
got=$(cat /proc/sys/vm/nr_hugepages)
if (( got < pages )); then
  echo "Only ${got} of ${pages} huge pages could be reserved; Postgres uses ordinary pages." >&2
fi
