#!/bin/sh
# scripts/demo, the README's first command, end to end on the programs of
# this build (JEJAK_DEMO_BIN: no install, no build) in a temporary data
# directory: it must finish with exit 0 (it checks the board against the
# generator's expected figures itself) and print each part of its report.
# The hub's three ports are chosen at run time; a port another process
# takes first is tried again with others.
#   test_demo.sh SOURCE_DIR BIN_DIR
set -eu
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail () {
    echo "FAIL: $*" >&2
    cat "$tmp/out" >&2 || true
    exit 1
}

rc=1
for attempt in 1 2 3 4 5; do
    # A port from 20000 to 59997, random, and the two above it.
    port=$(( $(od -An -N2 -tu2 /dev/urandom) % 40000 + 20000 ))
    rc=0
    JEJAK_DEMO_BIN=$bin JEJAK_DEMO_DATA=$tmp/demo JEJAK_DEMO_PORT=$port \
        bash "$src/scripts/demo" >"$tmp/out" 2>&1 || rc=$?
    [ $rc -eq 0 ] && break
    grep -q "is in use\|Address already in use" "$tmp/out" "$tmp/demo/logs/hub.log" \
        2>/dev/null || fail "scripts/demo exited $rc"
done
[ $rc -eq 0 ] || fail "scripts/demo found no free ports in 5 tries"

has () {
    grep -qF -- "$1" "$tmp/out" || fail "the report lacks: $1"
}
has "== Pelatihan / training batches (closed; from the projections)"
for n in 1 2 3 4 5 6; do
    grep -q "^   PK2UMK-2022-0$n .* peserta, kehadiran rata-rata .* memenuhi 80 %$" \
        "$tmp/out" || fail "no line for batch PK2UMK-2022-0$n"
done
has "Koperasi berbadan hukum / cooperatives with legal status: 1503;"
has "aktif (RAT tahun buku 2021) / active (held their 2021 RAT): 350 (23 %)."
has "== Audit: jejak-replay verify"
has "== Selesai / done in "
# The data directory it names is the one it worked in.
has "(data: $tmp/demo/events.db)"
has "Data: $tmp/demo/, logs: $tmp/demo/logs/"
grep -q "demo-data" "$tmp/out" && fail "it names demo-data/, not $tmp/demo/"
echo "ok: scripts/demo"
