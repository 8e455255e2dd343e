"""interop_common.py — what every interop test needs before it starts: its Python
modules and the critsweep binary.  A missing one ends the test with exit 77 (skipped;
run-all.sh decides whether a skip is allowed) and a line saying what to install."""
import importlib
import os
import sys


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def require(*modules):
    """Imports each module (dotted names allowed) and returns them in order."""
    out = []
    for name in modules:
        try:
            out.append(importlib.import_module(name))
        except ImportError as e:
            skip(f"{name} not importable by {sys.executable} ({e}); install the Debian package python3-{name.split('.')[0]}")
    return out


def critsweep_binary():
    """The binary named by $CRITSWEEP, which must be executable."""
    exe = os.environ.get("CRITSWEEP")
    if not exe or not os.access(exe, os.X_OK):
        skip("CRITSWEEP does not name an executable critsweep binary")
    return exe


def torch_phi(name, h):
    """critsweep's activation `name` on a torch tensor (erf scaled to slope 1 at 0, as
    activation.h); torch is imported here so that this module needs it only when used."""
    import math

    import torch
    import torch.nn.functional as F
    if name == "tanh":
        return torch.tanh(h)
    if name == "erf":
        return torch.erf(math.sqrt(math.pi) / 2 * h)
    if name == "hardtanh":
        return F.hardtanh(h)
    if name == "relu":
        return F.relu(h)
    return h
