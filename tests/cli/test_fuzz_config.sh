#!/bin/bash
# test_fuzz_config.sh — fuzzes the sweep-file loader with libFuzzer under ASan+UBSan for
# FUZZ_SECONDS (default 60), starting from tests/fuzz/corpus (the shipped sweeps and
# every malformed one).  Builds tests/fuzz/fuzz_config.c in its own directory,
# build-fuzz (clang-14).  Fails on any crash, leak, sanitizer report, timeout or broken
# print/load round trip; the offending input is kept in build-fuzz/fuzz-artifacts/.
# Longer runs: FUZZ_SECONDS=600 bash tests/cli/test_fuzz_config.sh
set -uo pipefail
root=$PWD
seconds=${FUZZ_SECONDS:-60}
build=$root/build-fuzz

if ! command -v clang-14 >/dev/null; then
    echo "skip: clang-14 is not installed (Debian: apt-get install clang-14 libclang-rt-14-dev)"
    exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang-14 -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    echo "skip: clang-14 cannot link libFuzzer ($(head -n 1 "$probe/err")); apt-get install libclang-rt-14-dev"
    exit 77
fi

if [[ ! -f $build/build.ninja ]]; then
    CC=clang-14 meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dnative=false -Dbuildtype=debugoptimized >"$probe/setup.log" 2>&1 ||
        { tail -n 20 "$probe/setup.log"; echo "FAIL: meson setup of $build"; exit 1; }
fi
start=$SECONDS
ninja -C "$build" fuzz_config >"$probe/build.log" 2>&1 ||
    { tail -n 30 "$probe/build.log"; echo "FAIL: building fuzz_config"; exit 1; }
echo "built $build/fuzz_config in $((SECONDS - start)) s"

# New inputs go to a scratch corpus (first directory); the shipped one is read only.
mkdir -p "$probe/corpus" "$build/fuzz-artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$build/fuzz_config" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" \
    "$probe/corpus" "$root/tests/fuzz/corpus" >"$probe/fuzz.log" 2>&1
rc=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$probe/fuzz.log"
grep -E '^Done [0-9]+ runs' "$probe/fuzz.log"
corpus_n=$(ls "$probe/corpus" | wc -l)
if (( rc != 0 )); then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|abort|round trip|does not load' \
        "$probe/fuzz.log" | head -n 20
    tail -n 40 "$probe/fuzz.log"
    echo "FAIL: the fuzzer found a problem (exit $rc); reproducer in $build/fuzz-artifacts/"
    exit 1
fi
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$probe/fuzz.log")
if [[ -z $execs ]] || (( execs < 1000 )); then
    tail -n 20 "$probe/fuzz.log"
    echo "FAIL: only '${execs:-0}' executions in $seconds s"
    exit 1
fi
echo "PASS: $execs executions in $seconds s, 0 crashes, $corpus_n new corpus inputs"
