#!/bin/sh
# Generates the man page and the bash completion of one Jejak program from
# what the program itself prints: --help and --version (the option tables
# and the vocabulary behind them), each command's --help, and, for the
# --type flag, the event types of jejak-schema. Run by the build (see
# cmake/JejakDocs.cmake), so the pages never drift from the code.
# Usage: gen-docs.sh PROGRAM_PATH SCHEMA_PATH MAN_OUT COMPLETION_OUT
set -eu
prog=$1
schema=$2
man_out=$3
comp_out=$4
name=$(basename "$prog")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

LC_ALL=C.UTF-8
export LC_ALL
"$prog" --help >"$tmp/help" 2>&1

# Commands: two-space indented words at the start of a line, before the
# first flag list ("  --x") or "global flags", after the Usage line, in a
# program whose Usage line names COMMAND.
commands=""
if grep -q '^Usage: .*COMMAND' "$tmp/help"; then
    commands=$(awk '
        /^Usage:/ { inside = 1; next }
        /^  --/ || /^global flags/ { inside = 0 }
        inside && /^  [a-z][a-z-]*( |$)/ { print $1 }' "$tmp/help" |
        sort -u | tr '\n' ' ')
fi

flags_of () {
    grep -o -- '--[a-z][a-z0-9-]*' "$1" | sort -u | tr '\n' ' '
}

# Enum flags: "  --form   enum  required; PRIMER|SEKUNDER" in command help.
enums_of () {
    awk '$2 == "enum" { n = split($0, a, "; ");
                        v = a[n]; gsub(/ .*/, "", v);
                        printf "%s=%s\n", $1, tolower(v) }' "$1"
}

global_flags=$(flags_of "$tmp/help")
types=""
if [ -x "$schema" ]; then
    types=$("$schema" list | awk '{print $1}' | tr '\n' ' ')
fi

# ---- man page: help2man over --help/--version, plus every command's help.
include="$tmp/include"
: >"$include"
if [ -n "$commands" ]; then
    printf '[COMMANDS]\n' >>"$include"
    for c in $commands; do
        if "$prog" "$c" --help >"$tmp/cmd.$c" 2>/dev/null; then
            printf '.SS %s\n.nf\n' "$c" >>"$include"
            sed 's/\\/\\e/g; s/-/\\-/g; s/^\./\\\&./' "$tmp/cmd.$c" >>"$include"
            printf '.fi\n' >>"$include"
        fi
    done
fi
cat >>"$include" <<EOF
[FILES]
See /usr/share/doc/jejak/OPERATIONS.md for where each program keeps its
files (outbox, keys, event log) and how to move or back them up.
[SEE ALSO]
The protocol, events, projections and operations manuals in
/usr/share/doc/jejak/.
EOF
# NAME line: the first sentence of the first paragraph after the Usage
# line (and its indented continuation lines).
description=$(awk '
    NR == 1 { next }
    !started && /^ / { next }
    !started && !NF { next }
    { started = 1 }
    started && !NF { exit }
    started { text = text (text ? " " : "") $0 }
    END { print text }' "$tmp/help" |
    sed 's/\. .*/./; s/[.]$//')
help2man --no-info --no-discard-stderr --section=1 \
    --name="$description" --include="$include" \
    --output="$man_out.tmp" "$prog"
# help2man stamps the month it ran: take it out so the page only changes
# when the program's text does.
sed '/^\.TH /s/"[A-Z][a-z]* [0-9][0-9]*"/""/' "$man_out.tmp" >"$man_out"
rm -f "$man_out.tmp"

# ---- bash completion.
fn=_$(echo "$name" | tr -c 'a-z0-9\n' '_')
{
    printf '# bash completion for %s, generated from its --help by\n' "$name"
    printf '# cmake/gen-docs.sh: do not edit.\n'
    printf '%s ()\n{\n' "$fn"
    printf '    local cur prev cmd i\n'
    printf '    cur=${COMP_WORDS[COMP_CWORD]}\n'
    printf '    prev=${COMP_WORDS[COMP_CWORD-1]}\n'
    printf '    cmd=\n'
    printf '    for ((i = 1; i < COMP_CWORD; i++)); do\n'
    printf '        case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n'
    printf '    done\n'
    printf '    case $prev in\n'
    printf '        --type) COMPREPLY=($(compgen -W "%s" -- "$cur")); return ;;\n' "$types"
    printf '        --db|--out|--outbox|--key|--broker-key|--config|--data-dir|--dir|--keys)\n'
    printf '            COMPREPLY=($(compgen -f -- "$cur")); return ;;\n'
    if [ -n "$commands" ]; then
        for c in $commands; do
            [ -f "$tmp/cmd.$c" ] || continue
            enums_of "$tmp/cmd.$c"
        done | sort -u | awk -F= '
            { vals[$1] = vals[$1] (vals[$1] ? "|" : "") $2 }
            END { for (f in vals) { v = vals[f]; gsub(/\|/, " ", v);
                  printf "        %s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", f, v } }' |
            sort
    fi
    printf '    esac\n'
    if [ -n "$commands" ]; then
        printf '    if [ -z "$cmd" ]; then\n'
        printf '        COMPREPLY=($(compgen -W "%s %s" -- "$cur")); return\n' \
            "$commands" "$global_flags"
        printf '    fi\n'
        printf '    case $cmd in\n'
        for c in $commands; do
            [ -f "$tmp/cmd.$c" ] || continue
            printf '        %s) COMPREPLY=($(compgen -W "%s %s" -- "$cur")) ;;\n' \
                "$c" "$(flags_of "$tmp/cmd.$c")" "$global_flags"
        done
        printf '        *) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;\n' "$global_flags"
        printf '    esac\n'
    else
        printf '    COMPREPLY=($(compgen -W "%s" -- "$cur"))\n' "$global_flags"
    fi
    printf '}\ncomplete -o default -F %s %s\n' "$fn" "$name"
} >"$comp_out"
