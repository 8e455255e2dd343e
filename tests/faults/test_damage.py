#!/usr/bin/python3
"""test_damage.py — damaged results files.  A completed file of the tiny sweep gets 16
bytes XOR-ed at 50 offsets (half in HDF5 metadata, half in dataset data, found with
h5py), and at each one `status`, `status --verify`, `export`, `phase` and `run` are run
under a timeout.  Promised for every command: no crash, no hang (a structure read that
does not finish within CRITSWEEP_OPEN_TIMEOUT ends with exit 2), exit 0 or 2, and
  - exit 2 changes nothing in the file;
  - exit 0 never hands out a changed row: export's rows equal the undamaged file's;
  - `run` either refuses (2) or recomputes what is damaged, after which the file
    verifies and holds exactly the undamaged file's rows;
  - once the damage is undone, a resume gives exactly the undamaged file's rows.
Then out-of-range status bytes (issue: counted as neither done nor pending) and a
flipped byte inside a finished row (caught by its checksum) are checked by name."""
import csv
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXE = os.environ.get("CRITSWEEP", os.path.join(ROOT, "build", "critsweep"))
SWEEP = os.path.join(ROOT, "tests", "mpi", "tiny.yaml")
SET = ["--set", "train.enabled=false"]
TIMEOUT = 30                      # far above the structure deadline below
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", CRITSWEEP_OPEN_TIMEOUT="3")
ENV.pop("SLURM_STEP_NUM_TASKS", None)
MACHINE = {"attempts", "avalanches_per_s", "samples_per_s", "seconds"}
CRASH = {124: "timeout (hang)", 134: "abort", 137: "killed", 139: "segfault", -6: "abort",
         -9: "killed", -11: "segfault"}

failures = []


def fail(msg):
    failures.append(msg)
    print("  FAIL", msg)


def run(*args):
    try:
        p = subprocess.run([EXE, *args], capture_output=True, env=ENV, timeout=TIMEOUT)
        # Damaged text (a fit note) may print as bytes that are not UTF-8.
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired:
        return 124, "", "timeout"


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def rows(path):
    """Task rows as exported, machine-dependent columns dropped; None if export fails."""
    rc, out, _ = run("export", path, "--csv")
    if rc != 0:
        return None
    r = list(csv.reader(io.StringIO(out)))
    keep = [i for i, n in enumerate(r[0]) if n not in MACHINE]
    return [[row[i] for i in keep] for row in r]


def xor(path, off, n=16):
    with open(path, "r+b") as f:
        f.seek(off)
        b = bytearray(f.read(n))
        for i in range(len(b)):
            b[i] ^= 0xA5
        f.seek(off)
        f.write(b)


def data_regions(path):
    import h5py
    regions = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.id.get_offset() is not None:
                regions.append((obj.id.get_offset(), obj.id.get_storage_size(), name))
        f.visititems(visit)
    return sorted(regions)


def main():
    if not os.access(EXE, os.X_OK):
        print("SKIP: no critsweep binary at", EXE)
        sys.exit(77)
    try:
        import h5py  # noqa: F401
    except ImportError:
        print("SKIP: python3-h5py missing")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="critsweep-damage.")
    try:
        ref = os.path.join(tmp, "ref.h5")
        rc, _, err = run("run", SWEEP, *SET, "-o", ref)
        assert rc == 0, err
        ref_rows = rows(ref)
        size = os.path.getsize(ref)
        regions = data_regions(ref)
        in_data = [False] * size
        for off, n, _ in regions:
            for k in range(off, min(off + n, size)):
                in_data[k] = True
        meta = [k for k in range(0, size - 16) if not any(in_data[k:k + 16])]
        data = [off + n // 2 for off, n, _ in regions if n >= 32]
        rnd = random.Random(20261202)
        offsets = [("metadata", o) for o in sorted(rnd.sample(meta, 25))]
        offsets += [("data", o) for o in sorted(rnd.sample(data, min(25, len(data))))]
        print("%s: %d bytes, %d datasets with data; %d offsets (%d metadata, %d data)" %
              (os.path.basename(ref), size, len(regions), len(offsets),
               sum(1 for k, _ in offsets if k == "metadata"), sum(1 for k, _ in offsets if k == "data")))
        outcome = {}
        for kind, off in offsets:
            d = os.path.join(tmp, "d.h5")
            shutil.copyfile(ref, d)
            xor(d, off)
            h0 = sha(d)
            codes = {}
            for name, args in (("status", ["status", d]), ("status --verify", ["status", d, "--verify"]),
                               ("export", ["export", d, "--csv", "-o", os.path.join(tmp, "x.csv")]),
                               ("phase", ["phase", d, "-o", os.path.join(tmp, "fig")]),
                               ("run", ["run", SWEEP, *SET, "-o", d])):
                h_before = sha(d)
                rc, out, err = run(*args)
                codes[name] = rc
                where = "%s offset %d: %s" % (kind, off, name)
                if rc in CRASH:
                    fail("%s: %s (exit %d)" % (where, CRASH[rc], rc))
                    continue
                if rc not in (0, 2):
                    fail("%s: exit %d, want 0 or 2: %s" % (where, rc, err.strip()[-300:]))
                if rc == 2:
                    if not err.strip():
                        fail("%s: exit 2 without a message" % where)
                    if sha(d) != h_before:
                        fail("%s: exit 2 but the file changed" % where)
                if rc == 0 and name == "export":
                    got = rows(d)
                    if got != ref_rows:
                        fail("%s: exit 0 with rows that differ from the undamaged file's" % where)
                if rc == 0 and name == "run":
                    if run("status", d, "--verify")[0] != 0:
                        fail("%s: after run the file does not verify" % where)
                    if rows(d) != ref_rows:
                        fail("%s: after run the rows differ from the undamaged file's" % where)
            # The damage undone (where nothing repaired it), a resume completes the same.
            if sha(d) == h0:
                xor(d, off)
                rc, _, err = run("run", SWEEP, *SET, "-o", d)
                if rc != 0 or rows(d) != ref_rows:
                    fail("%s offset %d: damage undone, the resume gives exit %d / other rows: %s"
                         % (kind, off, rc, err.strip()[-300:]))
            key = "refused (2)" if codes.get("run") == 2 else \
                  "repaired by run" if h0 != sha(d) and codes.get("status --verify") == 2 else "harmless"
            outcome.setdefault((kind, key), 0)
            outcome[(kind, key)] += 1
        for (kind, key), n in sorted(outcome.items()):
            print("  %-8s %-16s %d offsets" % (kind, key, n))

        # Out-of-range status bytes: named, recomputed by run, never "exit 3 with nothing".
        import h5py
        with h5py.File(ref, "r") as f:
            st_off = f["status"].id.get_offset()
            sm_off = f["S_mean"].id.get_offset()
        for bad in (37, 0xFF):
            d = os.path.join(tmp, "s.h5")
            shutil.copyfile(ref, d)
            with open(d, "r+b") as fh:
                fh.seek(st_off + 5)
                fh.write(bytes([bad]))
            rc, out, err = run("status", d, "--json")
            j = json.loads(out) if out else {}
            if rc != 2 or j.get("damaged") != 1 or [t["task"] for t in j.get("damaged_tasks", [])] != [5]:
                fail("status byte %d: status exit %d, damaged %s" % (bad, rc, j.get("damaged")))
            if j.get("done", 0) + j.get("pending", 0) + j.get("failed", 0) + j.get("diverged", 0) != 31:
                fail("status byte %d: counted as a status: %s" % (bad, {k: j.get(k) for k in ("done", "pending")}))
            rc, out, err = run("run", SWEEP, *SET, "-o", d)
            if rc != 0 or "is not a status" not in err or "task 5" not in err:
                fail("status byte %d: run exit %d (want 0, recomputing task 5): %s" % (bad, rc, err[-400:]))
            if rows(d) != ref_rows:
                fail("status byte %d: after run the rows differ" % bad)
            print("  status byte %d at task 5: status names it (exit 2), run recomputes it (exit 0)" % bad)

        # A flipped byte inside a finished row's S_mean: only its checksum tells.
        d = os.path.join(tmp, "c.h5")
        shutil.copyfile(ref, d)
        xor(d, sm_off + 8 * 7 + 3, 1)
        rc, out, err = run("status", d, "--verify", "--json")
        j = json.loads(out) if out else {}
        if rc != 2 or [t["task"] for t in j.get("damaged_tasks", [])] != [7]:
            fail("checksum: status --verify exit %d, damaged %s" % (rc, j.get("damaged_tasks")))
        if run("status", d)[0] != 0:
            fail("checksum: status without --verify should not read every row")
        for cmd in (["export", d, "--csv"], ["phase", d, "-o", os.path.join(tmp, "fig")]):
            rc, _, err = run(*cmd)
            if rc != 2 or "do not match their checksum" not in err:
                fail("checksum: %s exit %d: %s" % (cmd[0], rc, err[-300:]))
        rc, _, err = run("run", SWEEP, *SET, "-o", d)
        if rc != 0 or "task 7" not in err or "checksum" not in err:
            fail("checksum: run exit %d: %s" % (rc, err[-300:]))
        if rows(d) != ref_rows or run("status", d, "--verify")[0] != 0:
            fail("checksum: after run the file differs or does not verify")
        print("  a flipped byte in task 7's S_mean: status --verify, export, phase name it; run recomputes it")

        # The hang the deadline exists for: in the 0.1.0 fixture, 16 bytes XOR-ed at
        # offset 2048 (its first global heap) make HDF5 spin forever reading the
        # activation names (0.1.0's status, run and phase never returned).
        fixture = os.path.join(ROOT, "tests", "faults", "fixtures", "tiny-0.1.0-interrupted.h5")
        d = os.path.join(tmp, "hang.h5")
        shutil.copyfile(fixture, d)
        xor(d, 2048)
        h0 = sha(d)
        for cmd in (["status", d], ["export", d, "--csv"], ["phase", d, "-o", os.path.join(tmp, "fig")],
                    ["run", SWEEP, *SET, "--set", "avalanche.inputs=6000", "-o", d]):
            import time
            t0 = time.monotonic()
            rc, _, err = run(*cmd)
            dt = time.monotonic() - t0
            if rc != 2 or dt > 3 + 5 or sha(d) != h0 or "damaged" not in err:
                fail("0.1.0 file damaged at 2048: %s exit %d after %.1f s (want 2 within the "
                     "3 s deadline + 5 s), file %s: %s" % (cmd[0], rc, dt,
                     "unchanged" if sha(d) == h0 else "CHANGED", err.strip()[-200:]))
            else:
                print("  0.1.0 file damaged at offset 2048: %-6s exit 2 after %.1f s, file unchanged"
                      % (cmd[0], dt))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n_cases = 50 + 2 + 1 + 1
    print("damage: %d cases, %d failed assertions" % (n_cases, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
