#!/usr/bin/python3
"""function_length.py — fail on any C function longer than the limit (default 80 lines).

A function is a body whose opening `{` and closing `}` stand alone at column 0 (the
project's style); its length is the number of lines between them.  Data tables
(`static const T name[] = {`) open on their declaration line and are not counted.

usage: function_length.py [--limit N] [FILE.c ...]   (default: src/*.c)"""
import glob
import re
import sys


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if line == "{":
            start = i
        elif line.startswith("}") and start is not None:
            j = start - 1
            while j > 0 and "(" not in lines[j]:
                j -= 1
            names = re.findall(r"(\w+)\s*\(", lines[j])
            yield (names[0] if names else lines[j].strip()), start + 1, i - start - 1
            start = None


def main(argv):
    limit = 80
    if len(argv) >= 2 and argv[0] == "--limit":
        limit, argv = int(argv[1]), argv[2:]
    files = argv or sorted(glob.glob("src/*.c"))
    long_ones = [(n, f, name, line) for f in files for name, line, n in functions(f) if n > limit]
    for n, f, name, line in sorted(long_ones, reverse=True):
        print(f"{f}:{line}: {name} is {n} lines (limit {limit})")
    print(f"{len(long_ones)} function(s) over {limit} lines in {len(files)} file(s)")
    return 1 if long_ones else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
