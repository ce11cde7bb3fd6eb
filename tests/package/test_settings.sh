#!/bin/sh
# The table "The settings of jejak-hub, jejak-broker and jejak-store" of
# docs/OPERATIONS.md against the programs: every option a program's
# --help lists has its row naming that program, and every row's option is
# in the --help of each program it names, with the row's variable and
# default; a range "N to M" is checked at N-1 and M+1 (exit 2, a message
# saying "(see --help)" once, nothing started).
# Usage: test_settings.sh BIN_DIR OPERATIONS.md
set -eu
bin=$(cd "$1" && pwd) doc=$2
failures=0
fail () {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The rows, one per line: option|programs|variable|default|values
awk -F'|' '
    /^### The settings of jejak-hub, jejak-broker and jejak-store/ {s = 1}
    s && /^\| `--/ {
        for (i = 2; i <= 6; i++) gsub(/^ +| +$/, "", $i)
        print $2 "|" $3 "|" $4 "|" $5 "|" $6
    }
    s && /^### / && !/settings/ {exit}
' "$doc" >"$tmp/rows"
[ -s "$tmp/rows" ] || { echo "FAIL: no settings table in $doc" >&2; exit 1; }

for p in hub broker store; do
    "$bin/jejak-$p" --help >"$tmp/help.$p"
    "$bin/jejak-$p" --version >/dev/null || fail "jejak-$p --version"
done

# Each option of each --help has its row, naming the program.
for p in hub broker store; do
    for opt in $(grep -o -- '^  --[a-z][a-z0-9-]*' "$tmp/help.$p"); do
        awk -F'|' -v o="\`$opt\`" -v p="$p" '
            index($1, o) { n = split($2, a, /, */)
                           for (i = 1; i <= n; i++) if (a[i] == p) f = 1 }
            END { exit !f }' "$tmp/rows" ||
            fail "jejak-$p $opt has no row naming $p in the settings table"
    done
done

# Each row: its option in each program's --help, variable, default, range.
while IFS='|' read -r options programs variable default values; do
    opt=$(printf '%s' "$options" | grep -o -- '--[a-z][a-z0-9-]*' | head -1)
    for p in $(printf '%s' "$programs" | tr ',' ' '); do
        [ -f "$tmp/help.$p" ] || { fail "$opt: unknown program $p"; continue; }
        line=$(grep -- "^  $opt " "$tmp/help.$p" || true)
        [ -n "$line" ] || { fail "jejak-$p --help lacks $opt"; continue; }
        case $variable in
        \`JEJAK_*\`)
            var=$(printf '%s' "$variable" | tr -d '`')
            case $line in
            *"[env $var]"*) ;;
            *) fail "jejak-$p $opt: --help does not give [env $var]" ;;
            esac ;;
        *)
            case $line in
            *"[env "*) fail "jejak-$p $opt has a variable the table lacks" ;;
            esac ;;
        esac
        case $default in
        \`*\`)
            d=$(printf '%s' "$default" | sed 's/^`\([^`]*\)`.*/\1/')
            case $d in
            *KEYS*) ;;
            *)
                case $line in
                *"(default $d)"*) ;;
                *) fail "jejak-$p $opt: --help does not give (default $d)" ;;
                esac ;;
            esac ;;
        esac
        range=$(printf '%s' "$values" |
                grep -o '[0-9][0-9]* to [0-9][0-9]*' | head -1 || true)
        [ -n "$range" ] || continue
        lo=${range%% to *} hi=${range##* to }
        # Endpoints of its own: a range wider in the program than in the
        # table would start it, and timeout ends it (exit 124).
        case $p in
        hub) own="--ingest ipc://$tmp/i --feed ipc://$tmp/f --query ipc://$tmp/q" ;;
        broker) own="--ingest ipc://$tmp/i --feed ipc://$tmp/f --backend ipc://$tmp/b" ;;
        store) own="--backend ipc://$tmp/b --query ipc://$tmp/q" ;;
        esac
        [ $p = broker ] || own="$own --db $tmp/data/events.db"
        for v in $((lo - 1)) $((hi + 1)); do
            rc=0
            # shellcheck disable=SC2086
            (cd "$tmp" && timeout 10 "$bin/jejak-$p" $own "$opt" "$v" \
                </dev/null) >"$tmp/out" 2>&1 || rc=$?
            [ $rc -eq 2 ] ||
                fail "jejak-$p $opt $v exits $rc, not 2: $(cat "$tmp/out")"
            n=$(grep -o '(see --help)' "$tmp/out" | wc -l)
            [ "$n" -eq 1 ] ||
                fail "jejak-$p $opt $v says (see --help) $n times"
        done
    done
done <"$tmp/rows"
# --backend: loopback, ipc or inproc only, at both ends.
for p in broker store; do
    rc=0
    (cd "$tmp" && timeout 10 "$bin/jejak-$p" --backend tcp://192.0.2.1:7453 \
        </dev/null) >"$tmp/out" 2>&1 || rc=$?
    [ $rc -eq 2 ] || fail "jejak-$p --backend tcp://192.0.2.1:7453 exits $rc"
    grep -q "not loopback or ipc" "$tmp/out" ||
        fail "jejak-$p --backend tcp://192.0.2.1:7453 says: $(cat "$tmp/out")"
done
[ $failures -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "settings table of $(wc -l <"$tmp/rows") rows matches the programs"
