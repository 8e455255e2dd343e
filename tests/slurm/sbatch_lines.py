"""sbatch_lines.py SCRIPT [--plain] — print, one per line as JSON strings (--plain: as
they are), the options sbatch would read from SCRIPT's #SBATCH lines.

An independent reading of the rules in SLURM 22.05's src/sbatch/opt.c (_opt_batch_script,
_get_argument): directives are read from the top until the first line that is neither
blank nor a comment; "#SBATCH" is followed by arguments split at whitespace, where a
backslash takes the next character literally, single or double quotes group (and are
dropped), an unquoted '#' ends the line, an unmatched quote is a fatal error, and the word
"packjob" anywhere in the line is blanked first."""
import json
import re
import sys


def arguments(rest):
    rest = re.sub("packjob", "       ", rest, flags=re.IGNORECASE)
    out, i, n = [], 0, len(rest)
    while True:
        while i < n and rest[i].isspace():
            i += 1
        if i >= n:
            return out
        arg, quote, escape = [], None, False
        while i < n and (quote or not rest[i].isspace()):
            c = rest[i]
            if escape:
                escape = False
            elif c == "\\":
                escape = True
                i += 1
                continue
            elif quote:
                if c == quote:
                    quote = None
                    i += 1
                    continue
            elif c in "\"'":
                quote = c
                i += 1
                continue
            elif c == "#":
                i = n
                break
            arg.append(c)
            i += 1
        if quote:
            raise SystemExit(f"unmatched {quote} in: {rest!r}")
        if arg:
            out.append("".join(arg))


def main():
    opts = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                break  # the first command ends the directives
            if line.startswith("#SBATCH"):
                opts.extend(arguments(line[len("#SBATCH"):]))
    plain = "--plain" in sys.argv[2:]
    for o in opts:
        print(o if plain else json.dumps(o))


if __name__ == "__main__":
    main()
