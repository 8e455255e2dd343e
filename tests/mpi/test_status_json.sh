#!/bin/bash
# test_status_json.sh — every --json output is valid JSON whatever bytes its strings hold.
# A tiny sweep (one process) writes a results file into a directory whose name has a
# 0xff byte, a quote and a tab; the run records a SLURM job id with an ill-formed byte,
# a quote and a control character, and two injected failures.  h5py then puts more
# ill-formed UTF-8 (a truncated sequence, a surrogate, a lone continuation byte) into the
# sweep name, the activation coordinate and a failure reason.  `status --json`,
# `check --json` and `fit --json` on files at such paths must parse with Python's strict
# json.loads (UTF-8 input, no raw control characters), and every string must come back
# as Python's own bytes.decode("utf-8", "replace") of the stored bytes: U+FFFD for each
# ill-formed part, everything else unchanged.
source "$(dirname "$0")/common.sh"

dir=$tmp/$'res\xff "q"\tdir'
mkdir -p "$dir" || die "cannot create a directory with a 0xff byte in its name"
out=$dir/$'r\xff.h5'
jobid=$'42\xfe"x\x01'
SLURM_JOB_ID=$jobid CRITSWEEP_FAIL_TASKS=3,5 "$CRITSWEEP" run "$sweep" -o "$out" \
  --set train.enabled=false --set avalanche.inputs=200 2>"$tmp/log"
rc=$?
(( rc == 0 )) || { tail -5 "$tmp/log"; die "tiny sweep: exit $rc"; }

"$PYTHON" - "$out" <<'PY' || die "could not rewrite the strings with h5py"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
f["activation"][0] = b"t\xc3anh"                       # truncated 2-byte sequence
f.attrs.create("sweep_name", b'ti\xffny "q" \x02 \\ end', dtype=h5py.string_dtype("utf-8"))  # as critsweep writes it
r = f["failure_reason"]                                # task 3's row, raw bytes in the file's
n = r.shape[-1]                                        # own 1-char type (no h5py conversion)
msg = b'bad \xe2\x82 \xed\xa0\x80 \x80 \xf0\x9f\x98\x80 "x"\n\x1f'
fs = r.id.get_space()
fs.select_hyperslab(tuple(int(i) for i in np.unravel_index(3, r.shape[:-1])) + (0,), (1,) * (r.ndim - 1) + (n,))
r.id.write(h5py.h5s.create_simple((n,)), fs, np.frombuffer(msg.ljust(n, b"\0"), np.uint8), mtype=r.id.get_type())
# The root attributes and coordinates carry a checksum (store.c, schema_crc): a writer
# that changes them renews it, or every command reports the file as damaged.
import zlib
b = lambda v: v if isinstance(v, bytes) else v.encode("utf-8", "surrogateescape")
crc = 0
for k in ("sweep_hash", "sweep_name", "sweep_yaml"):
    crc = zlib.crc32(b(f.attrs[k]) + b"\0", crc)
for a in f["activation"][()]:
    crc = zlib.crc32(b(a) + b"\0", crc)
crc = zlib.crc32(f["width"][()].astype("<i4").tobytes(), crc)
for k in ("sigma_b2", "sigma_w2"):
    crc = zlib.crc32(f[k][()].astype("<f8").tobytes(), crc)
crc = zlib.crc32(f["seed"][()].astype("<i8").tobytes(), crc)
f.attrs.create("schema_crc32", crc, dtype="<u4")
PY

"$CRITSWEEP" status "$out" --json >"$tmp/status.json" 2>"$tmp/err" || { cat "$tmp/err"; die "status --json failed"; }
cp "$sweep" "$dir/"$'sweep\xff.yaml'
"$CRITSWEEP" check "$dir/"$'sweep\xff.yaml' --json >"$tmp/check.json" 2>"$tmp/err" || { cat "$tmp/err"; die "check --json failed"; }
printf 'S D\n' >"$dir/"$'av\xff.txt'
for i in $(seq 1 40); do printf '%d.5 %d\n' "$i" "$i"; done >>"$dir/"$'av\xff.txt'
"$CRITSWEEP" fit "$dir/"$'av\xff.txt' --json >"$tmp/fit.json" 2>"$tmp/err" || { cat "$tmp/err"; die "fit --json failed"; }

"$PYTHON" - "$tmp" "$out" "$dir" "$jobid" <<'PY' || die "--json output is not valid JSON or its strings are wrong"
import json, os, sys
tmp, out, d, jobid = (os.fsencode(a) for a in sys.argv[1:])
fix = lambda b: b.decode("utf-8", "replace")
def load(name):
    raw = open(os.path.join(tmp, name), "rb").read()
    try:
        return json.loads(raw)                 # bytes: must be UTF-8; strict: no raw control chars
    except ValueError as e:
        sys.exit(f"FAIL {name.decode()}: not valid JSON: {e}")
def same(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}: {got!r} != {want!r}")
    print(f"ok   {what}: {got!r}")

st = load(b"status.json")
same("status file", st["file"], fix(out))
same("status sweep_name", st["sweep_name"], fix(b'ti\xffny "q" \x02 \\ end'))
same("status activation axis key", list(st["axes"]["activation"]), [fix(b"t\xc3anh")])
same("status runs slurm_job_id", st["runs"][0]["slurm_job_id"], fix(jobid))
failed = {t["task"]: t for t in st["failed_tasks"]}
same("status failed tasks", sorted(failed), [3, 5])
same("status failure reason", failed[3]["reason"],
     fix(b'bad \xe2\x82 \xed\xa0\x80 \x80 \xf0\x9f\x98\x80 "x"\n\x1f'))
same("status failed task activation", failed[3]["activation"], fix(b"t\xc3anh"))
same("check sweep", load(b"check.json")["sweep"], fix(os.path.join(d, b"sweep\xff.yaml")))
same("fit file", load(b"fit.json")["file"], fix(os.path.join(d, b"av\xff.txt")))
PY
echo "PASS: status/check/fit --json are valid JSON with ill-formed bytes replaced by U+FFFD"
