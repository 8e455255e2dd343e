#!/usr/bin/python3
"""test_phase_numbers.py — `critsweep phase` and `critsweep fss` on a real results file
(a tiny sweep run by the binary under mpirun), checked against an independent
NumPy/SciPy computation from the HDF5 file read with h5py:

  * seed means/stds over completed seeds (status done or diverged), χ_fd and χ_b by
    numpy.gradient, χ by a NumPy local quadratic regression (tricube × 1/se² weights,
    se pooled as median over ±2 neighbours, the half-width chosen again here by weighted
    leave-one-out and compared with the file's chi_bandwidth), the Widom line and the
    accuracy ridge as the maxima of the smoothed slope / value (a fine scan and
    scipy.optimize.minimize_scalar; nanargmax + numpy.polyfit parabola and the grid
    argmax on lines of fewer than 6 finite cells), the edge of
    chaos by scipy.integrate.quad + scipy.optimize.brentq, the claim test by
    scipy.stats.spearmanr, pooled τ_s by its closed form, κ and 1/ν by numpy.polyfit;
  * every CSV beside every figure, the derived datasets written into the file (and
    xarray sees them on their dimensions), the claim-test table;
  * every figure: PNG magic and IHDR size as designed, SVG parses as XML, PDF starts
    with %PDF and ends with %%EOF.

Tolerance: 1e-9 relative (absolute for values below 1) on every number; the edge of
chaos 1e-9 relative too; 1e-6 on the maxima of the smoothed curves (the line positions,
and what is computed from them), which two minimisers locate to their own tolerance.  NaN must match NaN.  Prints the largest difference per check.
With a path argument, checks that results file instead (tests/mpi/test_quick_sweep.sh
passes the quick sweep's; figures are rendered beside it).  Set
CRITSWEEP_PHASE_SYNTHETIC=1 to run on the synthetic file instead (development only).
"""
import csv
import glob
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET

import h5py
import numpy as np
import scipy.integrate
import scipy.optimize
import scipy.special
import scipy.stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRIT = os.environ.get("CRITSWEEP", os.path.join(ROOT, "build", "critsweep"))
RTOL = 1e-9
RTOL_PEAK = 1e-6
MIN_POINTS = 5  # deriv.h DERIV_MIN_POINTS
SIZES = {"heat": (1000, 760), "cuts": (1800, 700), "summary": (1800, 1500), "fss": (1500, 1200)}

failures = []
worst = {}


def check_close(name, got, ref, rtol=RTOL):
    got = np.asarray(got, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if got.shape != ref.shape:
        failures.append(f"{name}: shape {got.shape} != reference {ref.shape}")
        return
    gn, rn = np.isnan(got), np.isnan(ref)
    if (gn != rn).any():
        idx = np.argwhere(gn != rn)[0]
        failures.append(f"{name}: NaN pattern differs at {tuple(idx)}: got {got[tuple(idx)]}, "
                        f"reference {ref[tuple(idx)]}")
        return
    ok = ~gn
    if not ok.any():
        worst.setdefault(name, 0.0)
        return
    diff = np.abs(got[ok] - ref[ok]) / np.maximum(1.0, np.abs(ref[ok]))
    d = float(diff.max())
    worst[name] = max(worst.get(name, 0.0), d)
    if d > rtol:
        i = int(diff.argmax())
        failures.append(f"{name}: relative difference {d:.3g} > {rtol:g} "
                        f"(got {got[ok][i]!r}, reference {ref[ok][i]!r})")


def run(cmd, timeout=120, env=None):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    return p, time.time() - t


# ------------------------------------------------------------------ the results file

def make_real_file(tmp):
    """A tiny real sweep: 2 activations x 2 widths x 2 sigma_b2 x 6 sigma_w2 x 2 seeds."""
    out = os.path.join(tmp, "tiny.h5")
    sets = ["grid.activation=[tanh,relu]", "grid.width=[16,32]", "grid.sigma_b2=[0,0.05]",
            "grid.sigma_w2=[0.6,0.85,1.0,1.1,1.3,1.7]", "grid.seeds=2",
            "avalanche.depth=40", "avalanche.inputs=300", "avalanche.per_network=100",
            "avalanche.shape_window=[4,20]", "avalanche.shape_min_count=5",
            "fit.gamma_min_count=10", "train.depth=1", "train.epochs=1",
            "train.train_subset=600", "train.batch=50"]
    cmd = ["mpirun", "-n", "3", "--oversubscribe", CRIT, "run",
           os.path.join(ROOT, "sweeps", "quick.yaml"), "-o", out]
    for s in sets:
        cmd += ["--set", s]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p, dt = run(cmd, timeout=150, env=env)
    print(f"tiny sweep: exit {p.returncode} in {dt:.1f} s")
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-3000:])
        return None
    return out


def make_synthetic_file(tmp):
    out = os.path.join(tmp, "syn.h5")
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "interop",
                                                 "make_synthetic_results.py"), out,
                    "--widths", "16,32,64", "--pending", "0.15"], check=True)
    return out


# ------------------------------------------------------------------ references

def phi_funcs(name):
    s = math.sqrt(math.pi) / 2
    return {
        "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2),
        "erf": (lambda x: scipy.special.erf(s * x), lambda x: 2 * s / math.sqrt(math.pi) * np.exp(-(s * x) ** 2)),
        "hardtanh": (lambda x: np.clip(x, -1, 1), lambda x: (np.abs(x) < 1).astype(float)),
        "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
        "linear": (lambda x: x, lambda x: np.ones_like(x)),
    }[name]


def gauss_expect(f, q):
    """E_z[f(sqrt(q) z)] by adaptive quadrature (SciPy quad, independent of the C code)."""
    if q <= 0:
        return float(f(np.array(0.0)))
    sq = math.sqrt(q)
    g = lambda z: f(np.array(sq * z)) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    pts = [x / sq for x in (-1.0, 0.0, 1.0) if abs(x / sq) < 12]
    v, _ = scipy.integrate.quad(g, -12, 12, points=pts, limit=400, epsabs=1e-15, epsrel=1e-13)
    return v


def edge_reference(act, sb2):
    phi, dphi = phi_funcs(act)
    if act == "relu":
        return 2.0
    if act == "linear":
        return 1.0
    if sb2 == 0:
        return 1.0 / float(dphi(np.array(0.0))) ** 2  # q* = 0 at the edge: χ1 = σw² φ'(0)²

    def qstar(sw2):
        h = lambda q: sw2 * gauss_expect(lambda x: phi(x) ** 2, q) + sb2 - q
        return scipy.optimize.brentq(h, sb2, sb2 + sw2 * 10 + 10, xtol=1e-15, rtol=1e-15)

    chi1 = lambda sw2: sw2 * gauss_expect(lambda x: dphi(x) ** 2, qstar(sw2)) - 1
    return scipy.optimize.brentq(chi1, 1e-3, 100, xtol=1e-14, rtol=1e-15)


def peak_reference(x, y):
    if np.all(np.isnan(y)):
        return np.nan, np.nan
    i = int(np.nanargmax(y))
    if i == 0 or i == len(y) - 1 or np.isnan(y[i - 1]) or np.isnan(y[i + 1]):
        return x[i], y[i]
    a, b, _ = np.polyfit(x[i - 1:i + 2], y[i - 1:i + 2], 2)
    if a == 0:
        return x[i], y[i]
    return -b / (2 * a), y[i]


def pooled_weights(se):
    """1/se² with each se the median of its own and two neighbours' either side."""
    n = len(se)
    w = np.full(n, np.nan)
    for i in range(n):
        pool = [v for v in se[max(0, i - 2):i + 3] if np.isfinite(v) and v > 0]
        if pool:
            w[i] = 1.0 / np.median(pool) ** 2
    fin = np.isfinite(w)
    w[~fin] = np.median(w[fin]) if fin.any() else 1.0
    return w


def local_fit(x, y, w, h, t, skip=-1):
    """(value, slope) at t of the tricube-weighted local quadratic, half-width h widened
    to hold MIN_POINTS cells; NaN if it cannot."""
    keep = np.arange(len(x)) != skip
    d = np.sort(np.abs(x[keep] - t))
    if len(d) < MIN_POINTS or not h > 0:
        return np.nan, np.nan
    h = max(h, d[MIN_POINTS - 1] * 1.05)
    sel = keep & (np.abs(x - t) < h)
    if sel.sum() < MIN_POINTS:
        return np.nan, np.nan
    u = (x[sel] - t) / h
    k = (1 - np.abs(u) ** 3) ** 3 * w[sel]
    X = np.vander(u, 3, increasing=True)
    try:
        beta = np.linalg.solve(X.T @ (k[:, None] * X), X.T @ (k * y[sel]))
    except np.linalg.LinAlgError:
        return np.nan, np.nan
    return beta[0], beta[1] / h


def choose_bandwidth(x, y, w):
    n = len(x)
    if n < MIN_POINTS + 1:
        return np.nan
    # windows counted in the finest spacing, up to n cells at the median spacing; the
    # leave-one-out error counts every cell alike (the fits themselves are weighted)
    gaps = np.diff(x)
    spacing, finest = np.median(gaps), gaps.min()
    widest = 0.5 * n * spacing * 1.05
    best, best_err, j = np.nan, np.inf, MIN_POINTS + 1
    while True:
        h = 0.5 * j * finest * 1.05
        if h > widest * (1 + 1e-12):
            break
        num = den = 0.0
        for i in range(n):
            v, _ = local_fit(x, y, w, h, x[i], skip=i)
            if not np.isfinite(v):
                num = np.inf
                break
            num += (y[i] - v) ** 2
            den += 1.0
        err = num / den if den > 0 else np.inf
        if err < best_err * (1 - 1e-9):  # ties (rounding) keep the narrower window
            best, best_err = h, err
        j = max(j + 1, int(1.2 * j))
    return best


def smooth_peak(x, y, w, h, of_value):
    """Maximum of the fitted slope (or value) over [x0, x_end]: a scan 8 times finer than
    the cells, then scipy's bounded minimiser between the scan's neighbours."""
    f = lambda t: -local_fit(x, y, w, h, t)[0 if of_value else 1]
    grid = np.linspace(x[0], x[-1], 8 * (len(x) - 1) + 1)
    vals = np.array([f(t) for t in grid])
    vals[~np.isfinite(vals)] = np.inf
    i = int(np.argmin(vals))
    t = grid[i]
    if 0 < i < len(grid) - 1 and vals[i - 1] > vals[i] and vals[i + 1] > vals[i]:
        t = scipy.optimize.minimize_scalar(f, bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                                           options={"xatol": 1e-12}).x
    return t, -f(t)


def line_reference(x, y, se, of_value):
    """Noise-aware χ (or the smoothed accuracy's peak) of one line: (slopes on x, peak
    location, peak value, bandwidth), the finite-difference fallback on a short line."""
    ok = np.isfinite(y)
    xs, ys = x[ok], y[ok]
    w = pooled_weights(se[ok])
    h = choose_bandwidth(xs, ys, w)
    if not np.isfinite(h):
        if of_value:
            loc = x[int(np.nanargmax(y))] if ok.any() else np.nan
            return None, loc, np.nan, h
        chi = np.gradient(y, x) if len(x) >= 2 else np.full(len(x), np.nan)
        loc, peak = peak_reference(x, chi)
        return chi, loc, peak, h
    slopes = np.array([local_fit(xs, ys, w, h, t)[1] for t in x])
    slopes[~ok] = np.nan  # a cell with no finished seed shows no χ
    loc, peak = smooth_peak(xs, ys, w, h, of_value)
    return slopes, loc, peak, h


def spearman_reference(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return np.nan, int(ok.sum())
    return scipy.stats.spearmanr(a[ok], b[ok]).correlation, int(ok.sum())


def seed_stats(vals, done):
    v = np.where(done & np.isfinite(vals), vals, np.nan)
    n = np.sum(~np.isnan(v), axis=-1)
    with np.errstate(all="ignore"):
        mean = np.where(n > 0, np.nansum(np.nan_to_num(v), axis=-1) / np.maximum(n, 1), np.nan)
        std = np.where(n >= 2, np.sqrt(np.nansum((v - mean[..., None]) ** 2, axis=-1)
                                       / np.maximum(n - 1, 1)), np.nan)
    return mean, std


# ------------------------------------------------------------------ file checks

def png_size(path):
    with open(path, "rb") as f:
        head = f.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def check_figure(path, expect=None):
    ext = os.path.splitext(path)[1]
    size = os.path.getsize(path)
    if size < 1000:
        failures.append(f"{path}: only {size} bytes")
        return
    if ext == ".png":
        wh = png_size(path)
        if wh is None:
            failures.append(f"{path}: not a PNG")
        elif expect and wh != expect:
            failures.append(f"{path}: {wh[0]}x{wh[1]} pixels, expected {expect[0]}x{expect[1]}")
    elif ext == ".svg":
        try:
            root = ET.parse(path).getroot()
            if not root.tag.endswith("svg"):
                failures.append(f"{path}: root element {root.tag}, not svg")
        except ET.ParseError as e:
            failures.append(f"{path}: not XML: {e}")
    elif ext == ".pdf":
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(b"%PDF") or b"%%EOF" not in data[-64:]:
            failures.append(f"{path}: not a complete PDF")


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        failures.append(f"{path}: empty")
    return rows


def num(s):
    return float(s)  # "nan" parses as NaN


def main():
    if not os.access(CRIT, os.X_OK):
        print(f"{CRIT} not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="phase-test-")
    try:
        if len(sys.argv) > 1:
            path = os.path.abspath(sys.argv[1])
            print(f"checking {path}")
        elif os.environ.get("CRITSWEEP_PHASE_SYNTHETIC") == "1":
            path = make_synthetic_file(tmp)
            print("using the SYNTHETIC results file (development mode)")
        else:
            path = make_real_file(tmp)
            if path is None:
                print("FAIL: the tiny sweep did not run (see above)")
                return 1
        return check_file(path, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_file(path, tmp):
    t0 = time.time()
    p, dt = run([CRIT, "phase", path])
    print(f"critsweep phase: exit {p.returncode} in {dt:.1f} s")
    if p.returncode != 0:
        print(p.stderr)
        return 1
    figdir = path[:-3] + "-figures"

    with h5py.File(path, "r") as f:
        acts = [a.decode() if isinstance(a, bytes) else a for a in f["activation"][...]]
        widths = f["width"][...].astype(int)
        sb2 = f["sigma_b2"][...]
        sw2 = f["sigma_w2"][...]
        status = f["status"][...]
        done = (status == 1) | (status == 3)
        data = {k: f[k][...].astype(float) for k in
                ("S_mean", "test_accuracy", "chi1", "P_surv", "tau_s", "tau_d", "gamma",
                 "gamma_pred", "branching", "lyapunov", "n_tail_s", "sum_log_s", "S_tail_min",
                 "S_tail_max") if k in f}
        derived = {k: f[k][...] for k in
                   ("S_mean_seedavg", "S_mean_seedstd", "chi", "chi_b", "widom_sigma_w2",
                    "chi_max", "edge_sigma_w2", "accuracy_ridge_sigma_w2", "spearman_acc_chi",
                    "spearman_acc_edge", "ridge_dist_widom", "ridge_dist_edge",
                    "tau_s_pooled", "chi_fd", "chi_bandwidth", "widom_sigma_w2_lo",
                    "widom_sigma_w2_hi", "accuracy_ridge_sigma_w2_lo",
                    "accuracy_ridge_sigma_w2_hi", "spearman_acc_chi_lo", "spearman_acc_chi_hi",
                    "rho_diff", "rho_diff_lo", "rho_diff_hi", "claim_verdict") if k in f}
    A, W, B, S = len(acts), len(widths), len(sb2), len(sw2)
    print(f"file: {A} activation x {W} widths x {B} sigma_b2 x {S} sigma_w2 x "
          f"{status.shape[-1]} seeds; {int(done.sum())} of {status.size} tasks completed")
    data["crackling"] = data["gamma"] - data["gamma_pred"]

    # Independent reference computation.
    Sbar, Sstd = seed_stats(data["S_mean"], done)
    acc, acc_std = seed_stats(data["test_accuracy"], done)
    chi1, _ = seed_stats(data["chi1"], done)
    nseed = np.sum(done & np.isfinite(data["S_mean"]), axis=-1)
    nacc = np.sum(done & np.isfinite(data["test_accuracy"]), axis=-1)
    with np.errstate(all="ignore"):
        Sse, acc_se = Sstd / np.sqrt(nseed), acc_std / np.sqrt(nacc)
    chi_fd = np.gradient(Sbar, sw2, axis=3) if S >= 2 else np.full(Sbar.shape, np.nan)
    chi = np.full(Sbar.shape, np.nan)
    bandwidth = np.full((A, W, B), np.nan)
    chi_b = np.gradient(Sbar, sb2, axis=2) if B >= 2 else np.full(Sbar.shape, np.nan)
    widom = np.full((A, W, B), np.nan)
    chimax = np.full((A, W, B), np.nan)
    ridge = np.full((A, W, B), np.nan)
    for a in range(A):
        for w in range(W):
            for b in range(B):
                chi[a, w, b], widom[a, w, b], chimax[a, w, b], bandwidth[a, w, b] = \
                    line_reference(sw2, Sbar[a, w, b], Sse[a, w, b], False)
                if not np.all(np.isnan(acc[a, w, b])):
                    ridge[a, w, b] = line_reference(sw2, acc[a, w, b], acc_se[a, w, b], True)[1]
    edge = np.array([[edge_reference(act, float(x)) for x in sb2] for act in acts])
    rho_chi = np.full((A, W), np.nan)
    rho_edge = np.full((A, W), np.nan)
    n_chi = np.zeros((A, W), int)
    n_edge = np.zeros((A, W), int)
    d_widom = np.full((A, W), np.nan)
    d_edge = np.full((A, W), np.nan)
    for a in range(A):
        for w in range(W):
            rho_chi[a, w], n_chi[a, w] = spearman_reference(acc[a, w].ravel(), chi[a, w].ravel())
            rho_edge[a, w], n_edge[a, w] = spearman_reference(acc[a, w].ravel(),
                                                              -np.abs(chi1[a, w].ravel() - 1))
            dw = np.abs(ridge[a, w] - widom[a, w])
            de = np.abs(ridge[a, w] - edge[a])
            d_widom[a, w] = np.nanmean(dw) if np.isfinite(dw).any() else np.nan
            d_edge[a, w] = np.nanmean(de) if np.isfinite(de).any() else np.nan

    # Derived datasets written into the file.
    check_close("file S_mean_seedavg", derived["S_mean_seedavg"], Sbar)
    check_close("file S_mean_seedstd", derived["S_mean_seedstd"], Sstd)
    check_close("file chi_fd (numpy.gradient)", derived["chi_fd"], chi_fd)
    check_close("file chi_bandwidth (leave-one-out)", derived["chi_bandwidth"], bandwidth)
    check_close("file chi (local quadratic fit)", derived["chi"], chi)
    check_close("file chi_b", derived["chi_b"], chi_b)
    check_close("file widom_sigma_w2", derived["widom_sigma_w2"], widom, RTOL_PEAK)
    check_close("file chi_max", derived["chi_max"], chimax, RTOL_PEAK)
    check_close("file edge_sigma_w2", derived["edge_sigma_w2"], edge)
    check_close("file accuracy_ridge_sigma_w2", derived["accuracy_ridge_sigma_w2"], ridge,
                RTOL_PEAK)
    for name in ("widom_sigma_w2", "accuracy_ridge_sigma_w2", "spearman_acc_chi", "rho_diff"):
        lo, hi = derived[name + "_lo"], derived[name + "_hi"]
        if not (np.isnan(lo) | (lo <= hi)).all():
            failures.append(f"file {name}_lo > {name}_hi somewhere")
    check_close("file rho_diff", derived["rho_diff"], rho_chi - rho_edge)
    if not np.isin(derived["claim_verdict"], (0, 1, 2)).all():
        failures.append(f"file claim_verdict outside 0..2: {derived['claim_verdict']}")
    check_close("file spearman_acc_chi", derived["spearman_acc_chi"], rho_chi)
    check_close("file spearman_acc_edge", derived["spearman_acc_edge"], rho_edge)
    check_close("file ridge_dist_widom", derived["ridge_dist_widom"], d_widom, RTOL_PEAK)
    check_close("file ridge_dist_edge", derived["ridge_dist_edge"], d_edge, RTOL_PEAK)
    if "tau_s_pooled" in derived:
        nt = np.where(done, data["n_tail_s"], 0).sum(-1)
        sl = np.where(done, data["sum_log_s"], 0).sum(-1)
        # README §4's degeneracy rule: 10 tail events with two distinct sizes (told by the
        # pooled tail extremes where the file has them)
        ok = done.any(-1) & (nt >= 10) & (sl > 0)
        if "S_tail_min" in data:
            with warnings.catch_warnings():  # all-NaN cells: no tail anywhere
                warnings.simplefilter("ignore", RuntimeWarning)
                lo = np.nanmin(np.where(done, data["S_tail_min"], np.nan), axis=-1)
                hi = np.nanmax(np.where(done, data["S_tail_max"], np.nan), axis=-1)
            ok &= lo < hi
        with np.errstate(all="ignore"):
            ref = np.where(ok, 1 + nt / sl, np.nan)
        check_close("file tau_s_pooled (1 + n/Σln(S/xmin))", derived["tau_s_pooled"], ref)
    else:
        failures.append("file: tau_s_pooled missing")

    # xarray sees the derived datasets on their dimensions.
    try:
        import xarray as xr
        with xr.open_dataset(path, engine="h5netcdf", phony_dims="sort") as ds:
            for name, dims in (("chi", ("activation", "width", "sigma_b2", "sigma_w2")),
                               ("widom_sigma_w2", ("activation", "width", "sigma_b2")),
                               ("edge_sigma_w2", ("activation", "sigma_b2")),
                               ("spearman_acc_chi", ("activation", "width"))):
                if tuple(ds[name].dims) != dims:
                    failures.append(f"xarray: {name} has dims {ds[name].dims}, expected {dims}")
                if "units" not in ds[name].attrs or "long_name" not in ds[name].attrs:
                    failures.append(f"xarray: {name} lacks units/long_name")
    except Exception as e:  # a reader failing is a finding, not a skip
        failures.append(f"xarray cannot read {path}: {e}")

    # Heatmap CSVs beside every heatmap.
    refs = {"chi": chi, "chi_b": chi_b, "S_mean": Sbar, "test_accuracy": acc}
    tol = {"chi": RTOL_PEAK}
    for q in ("P_surv", "tau_s", "tau_d", "gamma", "crackling", "branching", "lyapunov"):
        refs[q] = seed_stats(data[q], done)[0]
    n_heat = 0
    for q, ref in refs.items():
        for a, act in enumerate(acts):
            for w, N in enumerate(widths):
                stem = os.path.join(figdir, f"{q}_{act}_N{N}")
                if not os.path.exists(stem + ".png"):
                    if q == "chi_b" and B < 2 or np.all(np.isnan(ref)):
                        continue
                    failures.append(f"{stem}.png missing")
                    continue
                check_figure(stem + ".png", SIZES["heat"])
                rows = read_csv(stem + ".csv")
                got = np.array([[num(r["sigma_b2"]), num(r["sigma_w2"]), num(r["value"])] for r in rows])
                check_close(f"{q} csv axes", got[:, :2],
                            np.array([[x, y] for x in sb2 for y in sw2]), 0)
                check_close(f"{q} csv", got[:, 2], ref[a, w].ravel(), tol.get(q, RTOL))
                n_heat += 1
    # Lines, cuts, claim test.
    rows = read_csv(os.path.join(figdir, "lines.csv"))
    got = np.array([[num(r[k]) for k in ("widom_sigma_w2", "chi_max", "edge_sigma_w2",
                                          "accuracy_ridge_sigma_w2")] for r in rows])
    ref = np.array([[widom[a, w, b], chimax[a, w, b], edge[a, b], ridge[a, w, b]]
                    for a in range(A) for w in range(W) for b in range(B)])
    check_close("lines.csv widom", got[:, 0], ref[:, 0], RTOL_PEAK)
    check_close("lines.csv chi_max", got[:, 1], ref[:, 1], RTOL_PEAK)
    check_close("lines.csv edge (quad+brentq)", got[:, 2], ref[:, 2])
    check_close("lines.csv ridge", got[:, 3], ref[:, 3], RTOL_PEAK)
    for a, act in enumerate(acts):
        for b, x in enumerate(sb2):
            stem = os.path.join(figdir, f"cuts_{act}_sb2_{x:g}")
            check_figure(stem + ".png", SIZES["cuts"])
            rows = read_csv(stem + ".csv")
            got = np.array([[num(r["S_mean"]), num(r["chi"]), num(r["test_accuracy"])] for r in rows])
            check_close("cuts csv S_mean", got[:, 0], Sbar[a, :, b, :].ravel())
            check_close("cuts csv chi", got[:, 1], chi[a, :, b, :].ravel(), RTOL_PEAK)
            check_close("cuts csv accuracy", got[:, 2], acc[a, :, b, :].ravel())
    check_figure(os.path.join(figdir, "summary.png"), SIZES["summary"])
    rows = read_csv(os.path.join(figdir, "summary.csv"))
    for r in rows:
        if r["panel"] == "chi_max":
            a, w = acts.index(r["activation"]), list(widths).index(int(r["width"]))
            check_close("summary csv chi_max", num(r["value"]), chimax[a, w, 0], RTOL_PEAK)
    rows = read_csv(os.path.join(figdir, "claim_test.csv"))
    got = np.array([[num(r[k]) for k in ("spearman_acc_chi", "n_acc_chi", "spearman_acc_edge",
                                          "n_acc_edge", "ridge_dist_widom", "ridge_dist_edge")]
                    for r in rows])
    ref = np.array([[rho_chi[a, w], n_chi[a, w], rho_edge[a, w], n_edge[a, w], d_widom[a, w],
                     d_edge[a, w]] for a in range(A) for w in range(W)])
    check_close("claim csv (spearmanr)", got, ref, RTOL_PEAK)
    for r in rows:
        for k in ("spearman_acc_chi", "rho_diff", "rho_dist_diff", "ridge_dist_edge"):
            if k + "_lo" not in r or k + "_hi" not in r:
                failures.append(f"claim_test.csv: no {k}_lo/{k}_hi columns")
        if r.get("verdict", "").startswith("undecided") != (r.get("claim_verdict") == "0"):
            failures.append(f"claim_test.csv: verdict {r.get('verdict')!r} vs {r.get('claim_verdict')}")
    if "rho_chi" not in p.stdout:
        failures.append("phase: the claim-test table is not on stdout")

    # One quantity as SVG and PDF, and --spread --csv on stdout.
    for ext in ("svg", "pdf"):
        out = os.path.join(tmp, f"chi.{ext}")
        q, _ = run([CRIT, "phase", path, "--quantity", "chi", "--width", str(widths[-1]), "-o", out])
        if q.returncode != 0:
            failures.append(f"phase -o {out}: exit {q.returncode}: {q.stderr.strip()}")
        else:
            check_figure(out)
    q, _ = run([CRIT, "phase", path, "--quantity", "S_mean", "--spread", "--csv", "--no-write"])
    if q.returncode != 0:
        failures.append(f"phase --spread --csv: exit {q.returncode}: {q.stderr.strip()}")
    else:
        vals = [num(line.split(",")[2]) for line in q.stdout.strip().splitlines()[1:]]
        check_close("--spread --csv (std ddof 1)", vals, Sstd[0, 0].ravel())

    # The smooth edge-of-chaos curve drawn on the heatmaps (every 8th point).
    rows = read_csv(os.path.join(figdir, "edge_of_chaos.csv"))
    for r in rows[::8]:
        check_close("edge_of_chaos.csv (quad+brentq)", num(r["edge_sigma_w2"]),
                    edge_reference(r["activation"], num(r["sigma_b2"])))

    # The same file made partial: some tasks back to pending, one cell wholly.
    part = os.path.join(tmp, "partial.h5")
    shutil.copy(path, part)
    with h5py.File(part, "r+") as f:
        st = f["status"][...]
        st[0, 0, 0, 1, :] = 0
        st[0, -1, -1, -1, 0] = 0
        f["status"][...] = st
    pdone = (st == 1) | (st == 3)
    n_pend = int((~pdone.any(-1)).sum())
    q, _ = run([CRIT, "phase", part, "--quantity", "chi", "--csv", "-o",
                os.path.join(tmp, "partial.png")])
    if q.returncode != 0:
        failures.append(f"phase on a partial file: exit {q.returncode}: {q.stderr.strip()}")
    else:
        check_figure(os.path.join(tmp, "partial.png"), SIZES["heat"])
        if f"{n_pend} of {pdone[..., 0].size} cells have no finished seed" not in q.stderr:
            failures.append(f"partial file: stderr does not report {n_pend} pending cells: {q.stderr}")
        pS, pstd = seed_stats(data["S_mean"], pdone)
        pn = np.sum(pdone & np.isfinite(data["S_mean"]), axis=-1)
        with np.errstate(all="ignore"):
            pse = pstd / np.sqrt(pn)
        pchi = np.full(pS.shape, np.nan)
        for b in range(B):
            pchi[0, 0, b] = line_reference(sw2, pS[0, 0, b], pse[0, 0, b], False)[0]
        vals = [num(line.split(",")[2]) for line in q.stdout.strip().splitlines()[1:]]
        check_close("partial file chi (pending -> NaN)", vals, pchi[0, 0].ravel(), RTOL_PEAK)
        if not np.isnan(vals[1]):
            failures.append("partial file: the wholly pending cell is not NaN")

    # Finite-size scaling.
    if W >= 2:
        fdir = os.path.join(tmp, "fss")
        q, dt = run([CRIT, "fss", path, "-o", fdir])
        print(f"critsweep fss: exit {q.returncode} in {dt:.1f} s")
        if q.returncode != 0:
            failures.append(f"fss: exit {q.returncode}: {q.stderr.strip()}")
        else:
            fits = {r["activation"]: r for r in read_csv(os.path.join(fdir, "fss_fits.csv"))}
            for a, act in enumerate(acts):
                check_figure(os.path.join(fdir, f"fss_{act}.png"), SIZES["fss"])
                rows = read_csv(os.path.join(fdir, f"fss_{act}.csv"))
                cm = np.array([num(r["chi_max"]) for r in rows])
                ws = np.array([num(r["widom_sigma_w2"]) for r in rows])
                check_close("fss csv chi_max", cm, chimax[a, :, 0], RTOL_PEAK)
                check_close("fss csv widom", ws, widom[a, :, 0], RTOL_PEAK)
                ok = np.isfinite(cm) & (cm > 0)
                if ok.sum() >= 2:
                    k = np.polyfit(np.log(widths[ok]), np.log(cm[ok]), 1)[0]
                    check_close("fss kappa (polyfit)", num(fits[act]["kappa"]), k)
                sc = edge[a, 0]
                ok = np.isfinite(ws) & (ws != sc)
                if ok.sum() >= 2:
                    s = np.polyfit(np.log(widths[ok]), np.log(np.abs(ws[ok] - sc)), 1)[0]
                    check_close("fss 1/nu (polyfit)", num(fits[act]["inv_nu"]), -s)
                check_close("fss sigma_c = edge", num(fits[act]["sigma_c"]), sc)
            if "kappa" not in q.stdout:
                failures.append("fss: no table on stdout")

    for name in sorted(worst):
        print(f"  {name:45s} max rel diff {worst[name]:.3g}")
    print(f"{n_heat} heatmaps checked; checks took {time.time() - t0:.1f} s; tolerance {RTOL:g}")
    if failures:
        print("FAILURES:")
        for f_ in failures:
            print("  " + f_)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
