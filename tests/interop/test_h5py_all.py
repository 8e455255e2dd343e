#!/usr/bin/python3
"""test_h5py_all.py — the results file of a real run against its schema: the per-task
quantities from the quantity table the binary is built from (`critsweep point
--quantities-json`, quantity.h), the bookkeeping and derived datasets from the SCHEMA
comment of include/critsweep/store.h: every dataset exists with its type, its dimensions
(the attached dimension scales, in order), its fill value (NaN / -1 / 0), units,
long_name and description (for the quantities, the table's own text); per-task datasets
are contiguous with their space allocated; coordinates hold the sweep's axes and the
documented trailing axes; root attributes and the runs table (SLURM job id taken from
$SLURM_JOB_ID) are there; h5py reads every dataset."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXE = os.environ.get("CRITSWEEP", os.path.join(ROOT, "build", "critsweep"))
SWEEP = os.path.join(ROOT, "tests", "mpi", "tiny.yaml")
HEADER = os.path.join(ROOT, "include", "critsweep", "store.h")
TASK = ["activation", "width", "sigma_b2", "sigma_w2", "seed"]


def parse_schema():
    """{name: (kind, dims)} of the bookkeeping and derived datasets, from the SCHEMA
    comment; kind is a dtype name or 'derived'."""
    text = open(HEADER).read()
    body = text.split("Per-task datasets", 1)[1].split("Root attributes", 1)[0]
    lines = [re.sub(r"^\s*\*\s?", "", l) for l in body.splitlines()]
    out = {}
    key = None
    derived = False
    for l in lines:
        if l.strip().startswith("Derived,"):
            derived = True
            key = None
            continue
        m = re.match(r"\s*(float64|int64|int8|int32|uint32|char|\([^)]*\)):\s*(.*)$", l)
        if m:
            key, rest = m.group(1), m.group(2)
        elif key and re.match(r"\s{6,}\w", l) and ":" not in l:
            rest = l
        else:
            key = None
            continue
        rest = re.sub(r"\([^)]*\)", "", rest)
        for name in rest.split():
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                continue
            if key.startswith("("):
                dims = [d.strip() for d in key.strip("()").split(",")]
                out[name] = ("derived" if derived else "float64", dims)
            elif key == "char":  # netCDF char layout: one byte per character
                out[name] = (key, TASK + ["reason_char"])
            else:
                out[name] = (key, TASK)
    return out


def quantity_table():
    """{name: entry} of the per-task quantities, as the binary declares them."""
    r = subprocess.run([EXE, "point", "--quantities-json"], capture_output=True, text=True,
                       check=True)
    return json.loads(r.stdout)


def quantity_schema(table):
    """{name: (kind, dims)} of the quantities: their type, the task axes and their trailing
    axes (a text quantity has the netCDF char layout over reason_char)."""
    out = {}
    for name, q in table.items():
        trailing = [d for d in q["trailing"].split(",") if d]
        out[name] = (q["type"], TASK + trailing)
    return out


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def main():
    if not os.access(EXE, os.X_OK):
        skip("no critsweep binary at " + EXE)
    try:
        import h5py
        import yaml
    except ImportError as e:
        skip("python3-h5py/yaml missing: %s" % e)
    table = quantity_table()
    schema = quantity_schema(table)
    bookkeeping = parse_schema()
    assert not set(schema) & set(bookkeeping), set(schema) & set(bookkeeping)
    schema.update(bookkeeping)
    assert len(schema) >= 50, "schema parse found only %d names: %s" % (len(schema), sorted(schema))
    for must in ("tau_s", "n_inputs", "status", "attempts", "profile", "S_hist", "chi", "widom_sigma_w2",
                 "edge_sigma_w2", "gsum_log10S2", "tau_s_pooled", "n_exploded", "fit_note",
                 "failure_reason", "S_tail_min", "S_tail_max", "checksum", "n_spearman_acc_chi"):
        assert must in schema, must
    tmp = tempfile.mkdtemp(prefix="critsweep-h5py.")
    try:
        path = os.path.join(tmp, "tiny.h5")
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", SLURM_JOB_ID="4242")
        env.pop("SLURM_STEP_NUM_TASKS", None)
        r = subprocess.run([EXE, "run", SWEEP, "-o", path, "--set", "train.train_subset=500"],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
        chk = json.loads(subprocess.run([EXE, "check", SWEEP, "--set", "train.train_subset=500", "--json"],
                                        capture_output=True, text=True, check=True).stdout)
        y = yaml.safe_load(open(SWEEP))
        n_checked = 0
        with h5py.File(path, "r") as f:
            for name, (kind, dims) in sorted(schema.items()):
                assert name in f, "schema dataset %s missing" % name
                d = f[name]
                got_dims = [d.dims[i][0].name.lstrip("/") if len(d.dims[i]) else None for i in range(d.ndim)]
                assert got_dims == dims, (name, got_dims, dims)
                want_type = {"float64": "f8", "int64": "i8", "int8": "i1", "int32": "i4", "uint32": "u4", "char": "S1",
                             "derived": None}[kind]
                if name in ("status",):
                    want_type = "i1"
                if name == "attempts":
                    want_type = "i4"
                if want_type:
                    assert d.dtype == np.dtype(want_type), (name, d.dtype, want_type)
                # Derived datasets too are allocated at creation (later writes change data only).
                assert d.chunks is None, (name, "not contiguous")
                assert d.id.get_storage_size() == d.size * d.dtype.itemsize, (name, "space not allocated")
                if kind == "derived":
                    assert d.dtype in (np.dtype("f8"), np.dtype("i4")), (name, d.dtype)
                if kind != "derived":
                    fill = d.fillvalue
                    want_fill = {"f8": np.nan, "i8": -1, "i1": 0, "i4": 0, "u4": 0, "S1": b""}[d.dtype.str[1:]]
                    if kind == "char":
                        assert fill == want_fill, (name, fill)
                        assert d.attrs.get("_Encoding") == "utf-8", (name, d.attrs.get("_Encoding"))
                    else:
                        assert (np.isnan(fill) if np.isnan(want_fill) else fill == want_fill), (name, fill)
                    assert d.chunks is None, (name, "not contiguous")
                    assert d.id.get_storage_size() == d.size * d.dtype.itemsize, (name, "space not allocated")
                    for a in ("units", "long_name", "description"):
                        v = d.attrs.get(a)
                        assert isinstance(v, str) and (v or a == "units"), (name, a, v)
                        if name in table:
                            assert v == table[name][a], (name, a, v, table[name][a])
                d[()]
                n_checked += 1
            # failure_reason, fit_note: netCDF char layout (store.h additions)
            for k in ("failure_reason", "fit_note"):
                fr = f[k]
                assert fr.dtype == np.dtype("S1") and fr.shape[:5] == f["status"].shape and fr.shape[5] == 160
            # fit_note, read as raw bytes, is empty exactly where tau_s, tau_d, gamma and
            # gamma_shape are all finite, and names each NaN one
            raw = np.zeros(f["fit_note"].shape, dtype="S1")
            fn = f["fit_note"]
            fn.id.read(h5py.h5s.ALL, h5py.h5s.ALL, raw, mtype=fn.id.get_type())
            notes = [b"".join(r).decode("utf-8") for r in raw.reshape(-1, raw.shape[-1])]
            done = f["status"][()].ravel() == 1
            n_notes = 0
            for k, note in enumerate(notes):
                if not done[k]:
                    continue
                for q in ("tau_s", "tau_d", "gamma", "gamma_shape"):
                    nan = np.isnan(f[q][()].ravel()[k])
                    named = (q + ":") in note
                    assert nan == named, (k, q, nan, note)
                n_notes += bool(note)
            # the rule itself (README §4), from the stored statistics: tau_d is NaN exactly
            # when D >= xmin_d has < 10 events or one distinct value; tau_s likewise for S
            Dc = f["D_count"][()].reshape(len(notes), -1)
            xd = f["xmin_d"][()].ravel()
            nts, smin, smax = (f[k][()].ravel() for k in ("n_tail_s", "S_tail_min", "S_tail_max"))
            for k in np.flatnonzero(done):
                tail = Dc[k, int(xd[k]):]
                bad_d = tail.sum() < 10 or np.count_nonzero(tail) < 2
                assert bad_d == np.isnan(f["tau_d"][()].ravel()[k]), (k, tail.sum(), notes[k])
                bad_s = nts[k] < 10 or not smin[k] < smax[k]
                assert bad_s == np.isnan(f["tau_s"][()].ravel()[k]), (k, nts[k], notes[k])
            nx = f["n_exploded"][()].ravel()
            assert (nx[done] == 0).all(), "tanh is bounded: nothing leaves float range"
            # coordinates
            act = f["activation"]
            st = h5py.check_string_dtype(act.dtype)
            assert st is not None and st.length is None and st.encoding == "utf-8", st
            assert [a.decode() for a in act[()]] == y["grid"]["activation"]
            assert f["width"].dtype == np.int32 and list(f["width"][()]) == y["grid"]["width"]
            assert np.array_equal(f["sigma_b2"][()], y["grid"]["sigma_b2"])
            assert np.array_equal(f["sigma_w2"][()], y["grid"]["sigma_w2"])
            assert f["seed"].dtype == np.int64 and list(f["seed"][()]) == list(range(y["grid"]["seeds"]))
            assert list(f["epoch"][()]) == list(range(1, y["train"]["epochs"] + 1))
            L = y["avalanche"]["depth"]
            assert list(f["duration"][()]) == list(range(L))
            lo, hi = y["avalanche"]["shape_window"]
            assert list(f["shape_duration"][()]) == list(range(lo + 1, hi))
            assert np.allclose(f["profile_x"][()], np.linspace(0, 1, 50), rtol=0, atol=1e-15)
            edges = f["size_bin"].attrs["edges"]
            assert len(edges) == 81 and np.allclose(edges, np.logspace(-3, 7, 81), rtol=1e-12)
            assert np.allclose(f["size_bin"][()], np.sqrt(edges[:-1] * edges[1:]), rtol=1e-12)
            for k in ("activation", "width", "sigma_b2", "sigma_w2", "seed", "epoch", "duration",
                      "size_bin", "shape_duration", "profile_x"):
                assert f[k].attrs.get("CLASS") == b"DIMENSION_SCALE" and f[k].attrs["NAME"] == k.encode(), k
            # root attributes
            a = f.attrs
            assert a["critsweep_version"] and a["sweep_name"] == "tiny"
            assert a["sweep_hash"] == chk["hash"], (a["sweep_hash"], chk["hash"])
            # the file's text, then the --set overrides as comments
            assert a["sweep_yaml"].startswith(open(SWEEP).read()), a["sweep_yaml"][:200]
            assert "train.train_subset=500" in a["sweep_yaml"]
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", a["created"]), a["created"]
            assert int(a["L_max"]) == L and float(a["q0"]) == 0.1
            assert a["convention"] == "reference" and a["mode"] == "difference"
            runs = f["runs"][()]
            assert runs.dtype.names == ("start", "end", "ranks", "tasks_done", "slurm_job_id", "exit_state")
            # All rows exist from creation; unused ones have an empty start.
            assert len(runs) == 1024 and list(f["run"][()]) == list(range(1024)), len(runs)
            used = runs[runs["start"] != b""]
            assert len(used) == 1, len(used)
            runs = used
            assert runs[0]["slurm_job_id"] == b"4242" and runs[0]["tasks_done"] == 32
            assert runs[0]["exit_state"] == b"complete" and runs[0]["ranks"] == 1
            n_all = 0

            def visit(name, obj):
                nonlocal n_all
                if isinstance(obj, h5py.Dataset):
                    obj[()]
                    n_all += 1
            f.visititems(visit)
        print("schema: %d datasets from the quantity table and store.h checked (type, dims, fill, layout, attributes); "
              "h5py read all %d datasets; %d of %d fit notes non-empty, each naming exactly "
              "the NaN exponents" % (n_checked, n_all, n_notes, len(notes)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
