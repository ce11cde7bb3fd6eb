#!/bin/sh
# Every installed program behaves like its Debian neighbours: --version
# (exit 0, "PROGRAM (Jejak) VERSION"), --help (exit 0, one "Usage: PROGRAM"
# form, listing --version), an unknown flag is a usage error (exit 2) that says "(see --help)"
# once (as does an argument to a program that takes flags only), and its
# man page and bash completion, generated at build time, know every flag
# its --help lists (and every command's flags).
# Usage: test_programs.sh BIN_DIR MAN_DIR COMPLETION_DIR VERSION PROGRAM...
set -eu
bin=$1 man=$2 comp=$3 version=$4
shift 4
failures=0
# Programs whose command line holds flags only (jk_opts_start_flags).
flags_only="jejak-broker jejak-hub jejak-store jejak-status"
fail () {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for p in "$@"; do
    exe=$bin/$p
    out=$("$exe" --version) || fail "$p --version exits $?"
    first=$(printf '%s\n' "$out" | head -1)
    [ "$first" = "$p (Jejak) $version" ] ||
        fail "$p --version says '$first', not '$p (Jejak) $version'"
    "$exe" --help >"$tmp/help" 2>"$tmp/help.err" || fail "$p --help exits $?"
    [ -s "$tmp/help.err" ] && fail "$p --help writes to stderr"
    head -1 "$tmp/help" | grep -q "^Usage: $p\( \|$\)" ||
        fail "$p --help starts '$(head -1 "$tmp/help")'"
    # --help lists every option, --version too (PROTOCOL.md section 12).
    grep -q -- '^ *--version ' "$tmp/help" || fail "$p --help lacks --version"
    rc=0
    "$exe" --no-such-flag-xyz >"$tmp/bad" 2>&1 || rc=$?
    [ $rc -eq 2 ] || fail "$p --no-such-flag-xyz exits $rc, not 2"
    n=$(grep -o '(see --help)' "$tmp/bad" | wc -l)
    [ "$n" -eq 1 ] || fail "$p: usage error says (see --help) $n times: $(cat "$tmp/bad")"
    # The programs that take flags only refuse an argument the same way.
    case " $flags_only " in
    *" $p "*)
        rc=0
        "$exe" stray-word >"$tmp/arg" 2>"$tmp/arg.err" || rc=$?
        [ $rc -eq 2 ] || fail "$p stray-word exits $rc, not 2"
        [ -s "$tmp/arg" ] && fail "$p stray-word writes to stdout"
        want="$p: unexpected argument 'stray-word' (see --help)"
        [ "$(cat "$tmp/arg.err")" = "$want" ] ||
            fail "$p stray-word says '$(cat "$tmp/arg.err")', not '$want'"
        ;;
    esac
    # help2man makes an item of "  --flag  text" or "  command  text"
    # only with two spaces at least between the two; with one the line
    # runs into the paragraph before it and the man page loses the item.
    awk '/^  --/ { l = substr($0, 3)
                   if (l !~ /^[^ ]+( [A-Z]+)?(  +[^ ]|$)/) print }
         /^commands:/ { cmds = 1; next }
         cmds && !NF { cmds = 0 }
         cmds && !/^  [^ ]+$/ && !/^  [^ ].*[^ ]  +[^ ]/ { print }' \
        "$tmp/help" >"$tmp/items"
    [ -s "$tmp/items" ] &&
        fail "$p --help: one space only before the text of: $(cat "$tmp/items")"
    [ -s "$man/$p.1" ] || fail "$p: no man page"
    [ -s "$comp/$p" ] || fail "$p: no completion"
    bash -n "$comp/$p" || fail "$p: completion is not valid bash"
    cp "$tmp/help" "$tmp/all"
    # Each command's own --help, where the program has commands.
    if head -1 "$tmp/help" | grep -q COMMAND; then
        for c in $(awk '/^Usage:/ {i=1; next} /^  --/ || /^global flags/ {i=0}
                        i && /^  [a-z][a-z-]*( |$)/ {print $1}' "$tmp/help"); do
            if "$exe" "$c" --help >"$tmp/cmd" 2>/dev/null; then
                # An office agent's command has its own help, not the
                # program's again (the man page gives each a section).
                case $p in
                jejak-registration | jejak-attendance | jejak-scoring)
                    head -1 "$tmp/cmd" | grep -q "^Usage: $p $c\( \|$\)" ||
                        fail "$p $c --help starts '$(head -1 "$tmp/cmd")'"
                    ;;
                esac
                cat "$tmp/cmd" >>"$tmp/all"
                for f in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/cmd" | sort -u); do
                    grep -q -- " $c) .*$f " "$comp/$p" ||
                        fail "$p completion: $c lacks $f"
                done
            fi
        done
    fi
    for f in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/all" | sort -u); do
        # man pages escape '-' as '\-'.
        esc=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
        grep -q -- "$esc" "$man/$p.1" || fail "$p man page lacks $f"
        grep -q -- "$f" "$comp/$p" || fail "$p completion lacks $f"
    done
    grep -o -- '--[a-z][a-z0-9-]*' "$tmp/all" >>"$tmp/every"
    echo "ok - $p"
done
# The config file (OPERATIONS.md, "Configuration"): a directory or a
# missing file is a usage error naming it; a key of any program's --help
# (one file may serve several programs) is taken without a word, and a key
# no program takes is named with its line on stderr, the run going on.
sort -u "$tmp/every" | grep -v -x -e --config -e --help -e --version |
    sed 's/^--\(.*\)/\1 = "x"/' >"$tmp/every.cfg"
printf 'feed = "x"\n# a comment\nnosuchkey = "0"\n    nested = "1"\n' \
    >"$tmp/typo.cfg"
# Not ZPL (an INI section), and a key given twice: one line on stderr
# naming the file, the line and the rule; nothing on stdout.
printf '# hub\n[hub]\ndb = "x.db"\n' >"$tmp/ini.cfg"
printf 'feed = "x"\n# later\nfeed = "y"\n' >"$tmp/twice.cfg"
# A NUL byte: no text, said, not read as the text before it.
printf 'db = "x.db"\n\000\000' >"$tmp/nul.cfg"
# A line under a key is indented by 4 spaces a level: 2 spaces, or 8
# under a key at the margin, is said in those words.
printf 'db = "x.db"\n  nested = "1"\n' >"$tmp/indent.cfg"
printf 'db = "x.db"\n        nested = "1"\n' >"$tmp/deep.cfg"
for p in "$@"; do
    case $p in
    jejak-schema) continue ;; # takes no options from a file
    jejak-replay) cmd="$p verify" ;;
    jejak-report) cmd="$p kecamatan" ;;
    *) cmd=$p ;;
    esac
    for path in "$tmp" "$tmp/missing.cfg"; do
        rc=0
        # shellcheck disable=SC2086
        "$bin/"$cmd --config "$path" --help >"$tmp/out" 2>"$tmp/err" || rc=$?
        case $path in
        *.cfg) why="No such file or directory" ;;
        *) why="it is a directory" ;;
        esac
        want="$cmd: cannot read config file $path: $why (see --help)"
        [ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "$want" ] ||
            fail "$cmd --config $path exits $rc saying '$(cat "$tmp/err")', not 2 and '$want'"
    done
    for bad in ini twice nul indent deep; do
        case $bad in
        indent) why="line 2: indented by other than 4 spaces (a line under a key is indented by 4 spaces a level) (ZPL expected: key = \"value\", one a line)" ;;
        deep) why="line 2: indented more than one level (4 spaces) below the line above (ZPL expected: key = \"value\", one a line)" ;;
        nul) why="a NUL byte at offset 12: not a text file (ZPL expected: key = \"value\", one a line)" ;;
        ini) why="line 2: invalid syntax '[hub]' (ZPL expected: key = \"value\", one a line)" ;;
        twice) why="line 3 gives key 'feed' again (line 1 gave it first): give each key once" ;;
        esac
        rc=0
        # shellcheck disable=SC2086
        "$bin/"$cmd --config "$tmp/$bad.cfg" --help >"$tmp/out" \
            2>"$tmp/err" || rc=$?
        want="$cmd: cannot read config file $tmp/$bad.cfg: $why (see --help)"
        [ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "$want" ] &&
            ! [ -s "$tmp/out" ] ||
            fail "$cmd --config $bad.cfg exits $rc saying '$(cat "$tmp/err")' and '$(cat "$tmp/out")', not 2 and '$want'"
    done
    rc=0
    # shellcheck disable=SC2086
    JEJAK_CONFIG="$tmp/every.cfg" "$bin/"$cmd --help >/dev/null \
        2>"$tmp/err" || rc=$?
    [ $rc -eq 0 ] && ! [ -s "$tmp/err" ] ||
        fail "$cmd with every program's keys exits $rc saying '$(cat "$tmp/err")'"
    rc=0
    # shellcheck disable=SC2086
    "$bin/"$cmd --config "$tmp/typo.cfg" --help >/dev/null 2>"$tmp/err" ||
        rc=$?
    want="$cmd: warning: $tmp/typo.cfg:3: unknown key 'nosuchkey' ignored (no Jejak program takes it)"
    [ $rc -eq 0 ] && [ "$(cat "$tmp/err")" = "$want" ] ||
        fail "$cmd --config typo.cfg exits $rc saying '$(cat "$tmp/err")', not 0 and '$want'"
done
# A value outside its documented range is a usage error too: exit 2 and
# "(see --help)" once, before anything is opened or bound.
while IFS='|' read -r p args; do
    rc=0
    # shellcheck disable=SC2086
    (cd "$tmp" && "$bin/$p" $args </dev/null) >"$tmp/bad" 2>&1 || rc=$?
    [ $rc -eq 2 ] || fail "$p $args exits $rc, not 2: $(cat "$tmp/bad")"
    n=$(grep -o '(see --help)' "$tmp/bad" | wc -l)
    [ "$n" -eq 1 ] || fail "$p $args says (see --help) $n times: $(cat "$tmp/bad")"
done <<EOF
jejak-hub|--checkpoint-every 0
jejak-hub|--feed-hwm 0
jejak-hub|--projection-lag-max 100000001
jejak-hub|--rat-deadline-months 25
jejak-broker|--feed-hwm 0
jejak-store|--projection-lag-max 0
jejak-store|--checkpoint-every 3601
jejak-store|extra
jejak-store|--db 
jejak-broker|extra
jejak-link|send --db x.db --area 32.03 --upstream ipc://x --batch 1001
jejak-link|send --db x.db --area 3203 --upstream ipc://x
jejak-link|send --db x.db --area 32.03 --upstream ipc://x --key k
jejak-link|send --db x.db --area 32.03 --upstream ipc://x --query ipc://q
jejak-link|receive --db x.db --listen ipc://x --window 0
jejak-link|verify --db x.db --origin 3203
jejak-link|verify --db x.db --origin 32.03 --head nonsense
jejak-link|clear-fork --db x.db --origin 3203
jejak-pgsink|--pg x --credit 1
jejak-pgsink|--pg x --timeout 0
jejak-pgsink|--pg x --timeout 3601
jejak-office|frob
EOF
# jejak-link says a bad area in the same words for every command that
# takes one (--area of send, --origin of verify and clear-fork).
case " $* " in
*" jejak-link "*)
    while IFS='|' read -r flag args; do
        rc=0
        # shellcheck disable=SC2086
        (cd "$tmp" && "$bin/jejak-link" $args </dev/null) >"$tmp/area" \
            2>"$tmp/area.err" || rc=$?
        want="jejak-link: --$flag 3203 must be a kabupaten code NN.NN (32.03) or a province code NN (32) (see --help)"
        [ $rc -eq 2 ] && [ "$(cat "$tmp/area.err")" = "$want" ] ||
            fail "jejak-link $args exits $rc saying '$(cat "$tmp/area.err")', not 2 and '$want'"
    done <<AREAS
area|send --db x.db --area 3203 --upstream ipc://x
origin|verify --db x.db --origin 3203
origin|clear-fork --db x.db --origin 3203
AREAS
    ;;
esac
# Usage errors in their exact words, each starting with the program's name
# (OPERATIONS.md, "Configuration"): a flag whose value is left out is
# not given the next flag as its value, a switch takes only a value that
# says on or off, a malformed region is the code's fault
# (no hint about --data-dir), jejak-schema refuses what its commands do
# not take, --wait names its range (AGENTS.md).
while IFS='|' read -r p args want; do
    case " $* " in *" $p "*) ;; *) continue ;; esac
    rc=0
    # shellcheck disable=SC2086
    (cd "$tmp" && timeout 10 "$bin/$p" $args </dev/null) >"$tmp/out" \
        2>"$tmp/err" || rc=$?
    [ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "$want" ] ||
        fail "$p $args exits $rc saying '$(cat "$tmp/err")', not 2 and '$want'"
done <<EOF
jejak-store|--region 3x|jejak-store: --region '3x' must be a kabupaten code NN.NN (32.03) or a province code NN (32) (see --help)
jejak-hub|--region 32.0|jejak-hub: --region '32.0' must be a kabupaten code NN.NN (32.03) or a province code NN (32) (see --help)
jejak-status|--once --region zz|jejak-status: --region 'zz' must be a kabupaten code NN.NN (32.03) or a province code NN (32) (see --help)
jejak-pgsink|--pg x --region 3x|jejak-pgsink: --region '3x' must be a kabupaten code NN.NN (32.03) or a province code NN (32) (see --help)
jejak-schema|list --bogus|jejak-schema list: unknown option --bogus (see --help)
jejak-schema|list extra|jejak-schema list: unexpected argument 'extra' (see --help)
jejak-schema|markdown --bogus|jejak-schema markdown: unknown option --bogus (see --help)
jejak-schema|show cooperative.registered extra|jejak-schema show: unexpected argument 'extra' (see --help)
jejak-hub|--ingest ipc://i --feed ipc://f --query ipc://q --db --no-tree|jejak-hub: option --db needs a value, not the flag --no-tree (a value that starts with -- is given as --db=VALUE) (see --help)
jejak-store|--query --db x.db|jejak-store: option --query needs a value, not the flag --db (a value that starts with -- is given as --query=VALUE) (see --help)
jejak-replay|backup x.db --out --force|jejak-replay backup: option --out needs a value, not the flag --force (a value that starts with -- is given as --out=VALUE) (see --help)
jejak-hub|--ingest ipc://i --feed ipc://f --query ipc://q --db events.db --no-tree=bogus|jejak-hub: option --no-tree is a switch: 'bogus' is not 1, true, yes, on, 0, false, no or off (see --help)
jejak-hub|--ingest ipc://i --feed ipc://f --query ipc://q --db=|jejak-hub: --db must not be empty (see --help)
jejak-store|--region 32.03 --region 3x|jejak-store: --region '3x' must be a kabupaten code NN.NN (32.03) or a province code NN (32) (see --help)
jejak-replay|backup x.db|jejak-replay backup: --out COPY.db is required (see --help)
jejak-replay|rebuild x.db|jejak-replay rebuild: --out NEW.db is required (see --help)
jejak-replay|verify x.db --head nonsense|jejak-replay verify: --head: expected POS:HASH or a 'jejak-head pos=... hash=...' line (see --help)
jejak-registration|--source 32.03.10/pacet-1 --outbox o.db --wait 31536001 sync|jejak-registration: --wait must be a number of seconds from 0 to 31536000 (365 days), got '31536001'
EOF
# An unknown JEJAK_LOG is said once, and the program logs at info.
case " $* " in
*" jejak-hub "*)
    JEJAK_LOG=bogus "$bin/jejak-hub" --help >/dev/null 2>"$tmp/err" ||
        fail "jejak-hub --help with JEJAK_LOG=bogus exits $?"
    want="jejak-hub: warning: JEJAK_LOG 'bogus' is not debug, info, warn, error or none; logging at info"
    [ "$(cat "$tmp/err")" = "$want" ] ||
        fail "JEJAK_LOG=bogus: '$(cat "$tmp/err")', not '$want'"
    ;;
esac
# Reference data that cannot be read: the hint names --data-dir only to
# a program that takes it (every one takes JEJAK_DATA_DIR).
for p in jejak-hub jejak-status; do
    case " $* " in *" $p "*) ;; *) continue ;; esac
    case $p in
    jejak-hub) args="--db d.db" ;;
    *) args="--once" ;;
    esac
    rc=0
    # shellcheck disable=SC2086
    (cd "$tmp" && JEJAK_DATA_DIR="$tmp/no-data" "$bin/$p" $args </dev/null) \
        >/dev/null 2>"$tmp/err" || rc=$?
    flag=""
    "$bin/$p" --help | grep -q -- "--data-dir" && flag="--data-dir or "
    want="       set ${flag}JEJAK_DATA_DIR to the folder holding cianjur_kecamatan.csv (and indonesia_*.csv for --region)"
    [ $rc -eq 2 ] && grep -qxF -- "$want" "$tmp/err" ||
        fail "$p without reference data exits $rc saying '$(cat "$tmp/err")', not 2 and '$want'"
done
[ $failures -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "all $# programs ok"
