#!/bin/bash
# `--help` for every lade command (src/cli/cli-help.c): each command of `lade --help` and each
# alias its help names answers `--help` with docker's layout and exit 0; every flag a help lists
# is one the command's parser takes (so a help text naming a flag the command lacks fails here);
# `--help` after the image of `run` belongs to the container's command; groups list their
# commands; unknown commands and flags fail with docker's words and exit codes.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@" </dev/null; }

# the commands `lade --help` lists: "  GROUP    NAME      text" or "           NAME      text"
mapfile -t paths < <(lade --help | sed -n '/^Commands:/,$p' | tail -n +2 |
        awk 'substr($0, 3, 1) != " " { print $1 " " $2; next } { print $1 }')
[ "${#paths[@]}" -gt 50 ] && ok "lade --help lists ${#paths[@]} commands" || fail "lade --help lists ${#paths[@]} commands"

# flags of a help text: "SHORT LONG TAKES_VALUE" per line (SHORT "-" when none)
help_flags() {
        sed -n '/^Options:/,$p' | tail -n +2 | sed -nE \
                -e 's/^  -(.), --([a-z0-9-]+)( [a-zA-Z0-9]+)?( .*|$)/\1 \2 \3/p' \
                -e 's/^      --([a-z0-9-]+)( [a-zA-Z0-9]+)?( .*|$)/- \1 \2/p' |
                awk '{ print $1, $2, ($3 != "" ? 1 : 0) }'
}

# probe PATH FLAG TAKES_VALUE: the command parses FLAG (and its value), then stops at a flag no
# command has, before doing anything; it must not call FLAG unknown.
probe() {
        local path=$1 flag=$2 val=$3 out
        local -a words
        read -ra words <<<"$path"
        if [ "$val" = 1 ]; then
                out=$(lade "${words[@]}" "$flag" 1 --zz-help-probe 2>&1)
        else
                out=$(lade "${words[@]}" "$flag" --zz-help-probe 2>&1)
        fi
        local rc=$?
        case "$out" in
        *"unknown flag: $flag"* | *"unknown shorthand flag: '${flag#-}'"* | *"unrecognized option '$flag'"* | \
                *"invalid option -- '${flag#-}'"*)
                fail "lade $path: its help lists $flag, which it does not take: $out"
                return
                ;;
        esac
        [ "$rc" != 0 ] || fail "lade $path $flag ... --zz-help-probe succeeded"
}

nflags=0
for path in "${paths[@]}"; do
        read -ra words <<<"$path"
        out=$(lade "${words[@]}" --help)
        rc=$?
        if [ "$rc" != 0 ] || [[ "$out" != "Usage:  lade $path"* ]]; then
                fail "lade $path --help: exit $rc, $(head -1 <<<"$out")"
                continue
        fi
        # the names its Aliases line gives are lade commands with the same help
        aliases=$(sed -n '/^Aliases:/{n;p}' <<<"$out" | sed 's/^  //; s/, /\n/g; s/lade //g')
        while read -r a; do
                [ -n "$a" ] || continue
                read -ra aw <<<"$a"
                [[ "$(lade "${aw[@]}" --help)" == "Usage:  lade ${aw[0]}"* ]] || fail "lade $path: alias '$a' has no help"
        done <<<"$aliases"
        flags=$(help_flags <<<"$out")
        [ -n "$flags" ] || continue
        # a flag no command has: docker's words and exit status 125
        err=$(lade "${words[@]}" --zz-help-probe 2>&1)
        rc=$?
        [ "$rc" = 125 ] && [[ "$err" == "unknown flag: --zz-help-probe"* ]] ||
                fail "lade $path --zz-help-probe: exit $rc, $(head -1 <<<"$err")"
        while read -r short long val; do
                [ "$long" = help ] && continue
                probe "$path" "--$long" "$val"
                [ "$short" = - ] || probe "$path" "-$short" "$val"
                nflags=$((nflags + 1))
        done <<<"$flags"
done
ok "every command's --help (and its aliases'), $nflags listed flags taken by their commands"

# the probe catches a help text listing a flag its command lacks
out=$(lade ps --no-such-flag --zz-help-probe 2>&1)
expect_contains "a flag ps lacks is reported unknown" "unknown flag: --no-such-flag" "$out"

# layout, -h, help VERB
out=$(lade ps --help)
expect_eq "ps --help as docker prints it (first lines)" \
        "$(printf 'Usage:  lade ps [OPTIONS]\n\nList containers\n\nAliases:\n  lade container ls, lade container list, lade container ps, lade ps\n\nOptions:\n  -a, --all             Show all containers (default shows just running)')" \
        "$(head -9 <<<"$out")"
expect_eq "help ps is ps --help" "$out" "$(lade help ps)"
expect_eq "ps -h is ps --help after docker's notice" \
        "$(printf 'Flag shorthand -h has been deprecated, use --help\n%s' "$out")" "$(lade ps -h)"
expect_eq "lade container list --help names it container ls" "Usage:  lade container ls [OPTIONS]" \
        "$(lade container list --help | head -1)"
out=$(lade run -h 2>&1)
expect_eq "run -h is --hostname, which needs a value (125)" 125 $?
expect_contains "... in docker's words" "flag needs an argument: 'h' in -h" "$out"

# groups
out=$(lade network)
expect_eq "lade network exits 0" 0 $?
expect_eq "lade network lists its commands" "connect create disconnect inspect ls prune rm" \
        "$(sed -n '/^Commands:/,/^$/p' <<<"$out" | awk 'NF > 1 { print $1 }' | xargs)"
expect_contains "... and where to find more" "Run 'lade network COMMAND --help' for more information on a command." "$out"
expect_eq "lade network --help is lade network" "$out" "$(lade network --help)"
for g in image container volume system builder; do
        [[ "$(lade $g)" == "Usage:  lade $g COMMAND"* ]] && ok "lade $g lists its commands" || fail "lade $g"
done
err=$(lade network nosuch 2>&1 >/dev/null)
expect_eq "an unknown network command exits 1 (as docker)" 1 $?
expect_contains "... saying so" "lade: unknown command: lade network nosuch" "$err"
err=$(lade nosuch 2>&1 >/dev/null)
expect_eq "an unknown command exits 1 (as docker)" 1 $?
expect_eq "... in docker's words" "$(printf "lade: unknown command: lade nosuch\n\nRun 'lade --help' for more information")" "$err"
out=$(lade nosuch --help)
expect_eq "an unknown command with --help is the main help, exit 0 (as docker)" 0 $?
expect_eq "... the main help" "$(lade --help)" "$out"
err=$(lade help nosuch 2>&1)
expect_eq "help of an unknown command exits 1" 1 $?
expect_contains "... unknown help topic" "unknown help topic: nosuch" "$err"

# flags in docker's words
err=$(lade ps --nosuch 2>&1)
expect_eq "an unknown flag exits 125" 125 $?
expect_eq "... with docker's message" \
        "$(printf "unknown flag: --nosuch\n\nUsage:  lade ps [OPTIONS]\n\nRun 'lade ps --help' for more information")" "$err"
expect_contains "an unknown shorthand flag" "unknown shorthand flag: 'z' in -z" "$(lade ps -az 2>&1)"
expect_contains "a flag without its value" "flag needs an argument: --format" "$(lade ps --format 2>&1)"

# --help after the image is the container's
lade load -i "$BUSYBOX_IMAGE" >/dev/null
expect_eq "run busybox echo --help runs echo --help" "--help" "$(lade run --rm busybox echo --help)"
expect_eq "run --name X busybox ... --help: still the container's" "--help" \
        "$(lade run --rm --name "h$$" -e A=1 busybox echo --help)"
out=$(lade run --rm -e A=1 --help busybox echo hi)
expect_contains "run --help before the image is run's help" "Usage:  lade run [OPTIONS] IMAGE [COMMAND] [ARG...]" "$out"
expect_eq "... and runs nothing" "" "$(lade ps -aq)"
finish
