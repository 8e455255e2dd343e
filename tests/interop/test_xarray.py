#!/usr/bin/python3
"""test_xarray.py — a results file written by `critsweep run` reads as labelled arrays:
  - xarray with the netcdf4 engine (netCDF-C) and the h5netcdf engine: named dimensions
    (activation, width, sigma_b2, sigma_w2, seed[, epoch, duration, ...]) whose coordinate
    values equal the sweep file's grid (read independently with PyYAML); the activation
    coordinate, failure_reason and fit_note decode to Python strings (a reason written with
    h5py into a copy reads back intact through both engines; every fit note equals its raw
    bytes read with h5py); units/long_name on every variable;
  - `ncdump -h` lists the dimensions and variables;
  - h5py reads every dataset;
  - a few datasets equal `critsweep export --csv` element by element (exact round trip),
    fit_note included.
Prints the largest difference found (must be 0)."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXE = os.environ.get("CRITSWEEP", os.path.join(ROOT, "build", "critsweep"))
SWEEP = os.path.join(ROOT, "tests", "mpi", "tiny.yaml")
TASK_DIMS = ("activation", "width", "sigma_b2", "sigma_w2", "seed")


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def main():
    if not os.access(EXE, os.X_OK):
        skip("no critsweep binary at " + EXE)
    try:
        import h5py
        import xarray as xr
        import yaml
    except ImportError as e:
        skip("python3-h5py/xarray/yaml missing: %s" % e)
    engines = []
    for eng, mod in (("netcdf4", "netCDF4"), ("h5netcdf", "h5netcdf")):
        try:
            __import__(mod)
            engines.append(eng)
        except ImportError:
            pass
    if len(engines) < 2:
        skip("python3-netcdf4 and python3-h5netcdf are both needed (have %s)" % engines)
    if not shutil.which("ncdump"):
        skip("ncdump missing (netcdf-bin)")

    tmp = tempfile.mkdtemp(prefix="critsweep-interop.")
    try:
        path = os.path.join(tmp, "tiny.h5")
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        # Two activations (netCDF-C once read ['tanh', 'linear'] stored as fixed-length
        # strings as ['tanh', '']); the linear tasks at sigma_w2 = 2 fail by fault
        # injection (CRITSWEEP_FAIL_TASKS), so they carry a reason.
        acts, sw2 = ["tanh", "linear"], [0.8, 1.2, 2.0]
        expect_failed = np.zeros((2, 1, 2, 3, 2), dtype=bool)
        expect_failed[1, :, :, 2, :] = True
        env["CRITSWEEP_FAIL_TASKS"] = ",".join(map(str, np.flatnonzero(expect_failed.ravel())))
        r = subprocess.run([EXE, "run", SWEEP, "-o", path, "--set", "train.train_subset=500",
                            "--set", "grid.activation=[%s]" % ",".join(acts),
                            "--set", "grid.sigma_w2=[%s]" % ",".join(map(repr, sw2)),
                            "--set", "grid.width=[16]"],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, "critsweep run failed (%d): %s" % (r.returncode, r.stderr[-2000:])

        grid = yaml.safe_load(open(SWEEP))["grid"]
        want = {
            "activation": acts,
            "width": [16],
            "sigma_b2": list(grid["sigma_b2"]),
            "sigma_w2": sw2,
            "seed": list(range(grid["seeds"])),
        }

        # A copy with a failure reason written by h5py (NUL-padded bytes, as the runner does).
        reason = "training: loss became NaN at epoch 1 — é"
        copy = os.path.join(tmp, "copy.h5")
        shutil.copy(path, copy)
        with h5py.File(copy, "r+") as f:
            d = f["failure_reason"]
            raw = np.zeros(d.shape[-1], dtype="S1")
            b = reason.encode("utf-8")
            raw[:len(b)] = [bytes([c]) for c in b]
            # Raw bytes in the file's own type (netCDF's NC_CHAR: one-byte NULLTERM
            # strings); h5py's default S1 → NULLTERM conversion would blank them.
            fs = d.id.get_space()
            fs.select_hyperslab((0, 0, 0, 0, 1, 0), (1, 1, 1, 1, 1, d.shape[-1]))
            ms = h5py.h5s.create_simple((d.shape[-1],))
            d.id.write(ms, fs, raw, mtype=d.id.get_type())

        # fit_note as raw bytes, in the file's own one-byte type (no h5py conversion).
        with h5py.File(path, "r") as f:
            d = f["fit_note"]
            raw = np.zeros(d.shape, dtype="S1")
            d.id.read(h5py.h5s.ALL, h5py.h5s.ALL, raw, mtype=d.id.get_type())
            notes = [b"".join(r).decode("utf-8") for r in raw.reshape(-1, raw.shape[-1])]
        assert any(notes), "σ_w² = 0.8 (ordered) should leave some exponent without events"

        largest = 0.0
        for eng in engines:
            for fn in (path, copy):
                ds = xr.open_dataset(fn, engine=eng)
                s = ds["S_mean"]
                assert s.dims == TASK_DIMS, (eng, s.dims)
                for dim, vals in want.items():
                    got = ds[dim].values
                    if dim == "activation":
                        assert [str(x) for x in got] == vals and all(isinstance(x, str) for x in got), (eng, got)
                    else:
                        assert np.array_equal(got, np.array(vals, dtype=got.dtype)), (eng, dim, got, vals)
                for v, extra in (("test_accuracy_per_epoch", "epoch"), ("D_count", "duration"),
                                 ("S_hist", "size_bin"), ("profile_count", "shape_duration")):
                    assert ds[v].dims == TASK_DIMS + (extra,), (eng, v, ds[v].dims)
                assert ds["profile"].dims == TASK_DIMS + ("shape_duration", "profile_x")
                fr = ds["failure_reason"]
                assert fr.dims == TASK_DIMS, (eng, fr.dims)
                vals = [x.decode() if isinstance(x, bytes) else x for x in fr.values.ravel()]
                assert all(isinstance(x, str) for x in vals), (eng, type(vals[0]))
                failed = expect_failed.ravel()
                for i, x in enumerate(vals):
                    if fn == copy and i == 1:
                        assert x == reason, (eng, x)
                    elif failed[i]:
                        assert x == "injected failure (CRITSWEEP_FAIL_TASKS) of task %d" % i, (eng, i, x)
                    else:
                        assert x == "", (eng, i, x)
                fn_ = ds["fit_note"]
                assert fn_.dims == TASK_DIMS, (eng, fn_.dims)
                got = [x.decode() if isinstance(x, bytes) else x for x in fn_.values.ravel()]
                assert got == notes, (eng, [(a, b) for a, b in zip(got, notes) if a != b][:3])
                for name, var in ds.data_vars.items():
                    if name in ("runs", "failure_reason", "fit_note") or set(var.dims) <= {"run"}:
                        continue
                    if set(TASK_DIMS[:4]) <= set(var.dims) or var.dims[:1] == ("activation",):
                        assert "long_name" in var.attrs, (eng, name)
                st = ds["status"].values
                assert ((st == 2) == expect_failed).all() and (st[~expect_failed] == 1).all(), (eng, st)
                assert ds.attrs["sweep_name"] == "tiny" and len(ds.attrs["sweep_hash"]) == 16
                ds.close()
            print("%s: dims, coordinates, strings and attributes as expected" % eng)

        out = subprocess.run(["ncdump", "-h", path], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        head = out.stdout
        dims_block = head.split("dimensions:")[1].split("variables:")[0]
        for dim in TASK_DIMS + ("epoch", "duration", "size_bin", "shape_duration", "profile_x"):
            assert "\t%s = " % dim in dims_block, (dim, dims_block)
        assert "double S_mean(activation, width, sigma_b2, sigma_w2, seed) ;" in head
        assert "string activation(activation) ;" in head
        print("ncdump -h: %d dimensions listed" % dims_block.count(" = "))

        import h5py
        n = 0
        with h5py.File(path, "r") as f:
            def visit(name, obj):
                nonlocal n
                if isinstance(obj, h5py.Dataset):
                    obj[()]
                    n += 1
            f.visititems(visit)
            arrays = {k: f[k][()] for k in ("S_mean", "tau_s", "n_inputs", "test_accuracy",
                                             "status", "attempts", "P_surv")}
            coords = {k: f[k][()] for k in TASK_DIMS}
        print("h5py: read %d datasets" % n)

        csv_path = os.path.join(tmp, "tiny.csv")
        r = subprocess.run([EXE, "export", path, "--csv", "-o", csv_path], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        rows = list(csv.DictReader(open(csv_path)))
        shape = arrays["S_mean"].shape
        assert len(rows) == int(np.prod(shape)), (len(rows), shape)
        for row in rows:
            t = int(row["task"])
            idx = np.unravel_index(t, shape)
            act = coords["activation"][idx[0]]
            act = act.decode() if isinstance(act, bytes) else act
            assert row["activation"] == act
            assert int(row["width"]) == coords["width"][idx[1]]
            assert float(row["sigma_b2"]) == coords["sigma_b2"][idx[2]]
            assert float(row["sigma_w2"]) == coords["sigma_w2"][idx[3]]
            assert int(row["seed"]) == coords["seed"][idx[4]]
            assert row["fit_note"] == notes[t], (t, row["fit_note"], notes[t])
            for k, a in arrays.items():
                v = a[idx]
                c = float(row[k])
                if np.isnan(v):
                    assert np.isnan(c), (k, t, v, c)
                    continue
                largest = max(largest, abs(c - float(v)))
                assert c == v, (k, t, c, v)
        print("export --csv: %d rows, %d datasets and fit_note compared; largest |difference| %g"
              % (len(rows), len(arrays), largest))
        print("fit_note: %d of %d non-empty, identical through h5py (raw), %s and the CSV"
              % (sum(map(bool, notes)), len(notes), " and ".join(engines)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
