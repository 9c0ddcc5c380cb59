#!/bin/bash
# Builds lade twice (plain, and with ASan+UBSan) and runs every test in both: unit (cmocka),
# fuzz corpus replay, and the root-only integration tests with real containers and peers.
# Ends with one line: "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/.."
rc=0
logs=()
run_suite() {
        # run_suite BUILDDIR [meson setup options...]
        local dir=$1
        shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$@" >/dev/null || { echo "meson setup $dir failed"; return 1; }
        fi
        ninja -C "$dir" || { echo "build in $dir failed"; return 1; }
        meson test -C "$dir" --print-errorlogs --num-processes 2 "${SUITE_ARGS[@]}" || rc=1
        logs+=("$dir/meson-logs/testlog.json")
}
SUITE_ARGS=()
run_suite build || rc=1
if [ "${LADE_SKIP_ASAN:-0}" != 1 ]; then
        # everything again under ASan+UBSan, the integration tests included (the runtime runs under it)
        SUITE_ARGS=()
        run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false || rc=1
fi
passed=0 failed=0 skipped=0
for l in "${logs[@]}"; do
        [ -f "$l" ] || continue
        passed=$((passed + $(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$l")))
        failed=$((failed + $(jq -s '[.[] | select(.result == "FAIL" or .result == "TIMEOUT" or .result == "ERROR" or .result == "UNEXPECTEDPASS")] | length' "$l")))
        skipped=$((skipped + $(jq -s '[.[] | select(.result == "SKIP")] | length' "$l")))
done
[ ${#logs[@]} -gt 0 ] || failed=$((failed + 1))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$rc" = 0 ]
