#!/bin/bash
# test_bad_sweeps.sh — every malformed sweep in tests/bad_sweeps/ is refused with exit 2
# and one message that names the place and says what is wrong, and nothing on disk
# changes.
#
# Each file's first line is "# expect: <substring of the message>".  Optional lines:
#   # args: --set key=value ...   extra arguments (the message then starts "--set ")
#   # via: run                    a runtime case: `mpirun -n 2 critsweep run FILE`
#                                 (output-file checks); the message must name the path
#   # setup: text-file NAME       create NAME (not HDF5) in the working directory first
#   # setup: run FIXTURE          run a valid sweep first (its results file is reused)
# Check cases run `critsweep check FILE` in an empty directory and must print exactly
# one line on stderr, starting "FILE:line:col: ", and leave the directory empty.
set -uo pipefail
: "${CRITSWEEP:?set CRITSWEEP to the critsweep binary}"
root=$PWD
dir=$root/tests/bad_sweeps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tree_sums() { find "$dir" "$root/sweeps" -type f -print0 | sort -z | xargs -0 sha256sum; }
dir_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }

before=$(tree_sums)
n=0 failed=0 runtime_failed=0
fail() { # case message
    echo "FAIL $1: $2"
    [[ -s $tmp/err ]] && sed 's/^/     | /' "$tmp/err" | head -n 5
    if [[ ${via:-} == run ]]; then runtime_failed=$((runtime_failed + 1)); else failed=$((failed + 1)); fi
}

for f in "$dir"/*.yaml; do
    name=$(basename "$f" .yaml)
    n=$((n + 1))
    expect=$(sed -n '1s/^# expect: //p' "$f")
    via=$(sed -n 's/^# via: //p' "$f" | head -n 1)
    args=$(sed -n 's/^# args: //p' "$f" | head -n 1)
    setup=$(sed -n 's/^# setup: //p' "$f" | head -n 1)
    : >"$tmp/err"
    if [[ -z $expect ]]; then
        fail "$name" "first line must be '# expect: <substring>'"
        continue
    fi
    work=$tmp/work-$name
    mkdir -p "$work"
    if [[ $via == run ]]; then
        case $setup in
            "text-file "*) printf 'not an HDF5 file, just text\n' >"$work/${setup#text-file }" ;;
            "run "*)
                if ! (cd "$work" && timeout 120 mpirun -n 2 "$CRITSWEEP" run "$dir/${setup#run }" \
                        >"$tmp/setup.log" 2>&1); then
                    cp "$tmp/setup.log" "$tmp/err"
                    fail "$name" "setup '$setup' failed (the runner must complete a 2-task sweep)"
                    continue
                fi ;;
            "") ;;
            *) fail "$name" "unknown setup '$setup'"; continue ;;
        esac
        sums=$(dir_sums "$work")
        # shellcheck disable=SC2086
        (cd "$work" && timeout 120 mpirun -n 2 "$CRITSWEEP" run $args "$f" >"$tmp/out" 2>"$tmp/err")
        rc=$?
        if (( rc != 2 )); then fail "$name" "run exited $rc, expected 2"; continue; fi
        if ! grep -qF -- "$expect" "$tmp/err"; then
            fail "$name" "message does not contain '$expect' (the output path)"; continue
        fi
        if [[ $(dir_sums "$work") != "$sums" ]]; then
            fail "$name" "files in the working directory changed"; continue
        fi
        echo "ok   $name (run): $(grep -F -- "$expect" "$tmp/err" | head -n 1)"
        continue
    fi
    # shellcheck disable=SC2086
    (cd "$work" && "$CRITSWEEP" check $args "$f" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    if (( rc != 2 )); then fail "$name" "check exited $rc, expected 2"; continue; fi
    if [[ -s $tmp/out ]]; then fail "$name" "stdout is not empty on error"; continue; fi
    if (( $(wc -l <"$tmp/err") != 1 )); then
        fail "$name" "expected exactly one line on stderr, got $(wc -l <"$tmp/err")"; continue
    fi
    msg=$(cat "$tmp/err")
    if [[ -n $args ]]; then
        [[ $msg == "--set "* ]] || { fail "$name" "message does not name the --set option"; continue; }
    else
        [[ $msg =~ ^"$f":[0-9]+:[0-9]+:\  ]] || { fail "$name" "message does not start with FILE:LINE:COL:"; continue; }
    fi
    if [[ $msg != *"$expect"* ]]; then fail "$name" "message does not contain '$expect'"; continue; fi
    if [[ -n $(ls -A "$work") ]]; then fail "$name" "check wrote files: $(ls -A "$work")"; continue; fi
    echo "ok   $name: ${msg#"$root"/}"
done

if [[ $(tree_sums) != "$before" ]]; then
    echo "FAIL: files under tests/bad_sweeps or sweeps changed during the test"
    failed=$((failed + 1))
fi
echo "$n malformed sweeps: $((n - failed - runtime_failed)) refused correctly, $failed check failures, $runtime_failed runtime (mpirun run) failures"
(( n >= 30 )) || { echo "FAIL: fewer than 30 cases"; exit 1; }
(( failed == 0 && runtime_failed == 0 ))
