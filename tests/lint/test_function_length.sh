#!/bin/bash
# test_function_length.sh — no C function in src/ is longer than 80 lines (data tables
# excepted; see function_length.py for how a function is counted).  First the checker is
# shown to fail on a function of 81 lines, so this test cannot pass by checking nothing.
#   bash tests/lint/test_function_length.sh [FILE.c ...]   (default: src/*.c)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
check=$root/tests/lint/function_length.py
cd "$root" || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  printf 'static int long_one(void)\n{\n    int x = 0;\n'
  for i in $(seq 2 81); do printf '    x += %d;\n' "$i"; done
  printf '}\n\nstatic int short_one(void)\n{\n    return 1;\n}\n'
} >"$tmp/long.c"
if "$PYTHON" "$check" "$tmp/long.c" >"$tmp/out" 2>&1 || ! grep -q 'long_one is 81 lines' "$tmp/out"; then
  cat "$tmp/out"
  echo "FAIL: function_length.py did not report an 81-line function"
  exit 1
fi
if grep -q short_one "$tmp/out"; then
  echo "FAIL: function_length.py reported a 1-line function"
  exit 1
fi

files=("$@")
(( ${#files[@]} )) || files=(src/*.c)
if ! "$PYTHON" "$check" "${files[@]}"; then
  echo "FAIL: functions over 80 lines (split them into named steps)"
  exit 1
fi
echo "PASS: no function over 80 lines in ${#files[@]} file(s)"
