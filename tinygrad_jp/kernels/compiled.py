"""Whether the CPU's compiled loops (:mod:`.cpu_loops`, numba) are there, and loading them.

numba is a dependency of the package, so the loops are the CPU's kernels for the passes
they cover. Where numba cannot be imported (a platform without a wheel, a broken
install) the package says so once, at import, and runs its NumPy kernels instead: the
one second code path the CPU keeps. ``TINYGRAD_JP_NUMBA=0`` asks for that fallback on
purpose (the tests use it to compare the two).

numba itself is imported at the first pass that needs it, not at ``import tinygrad_jp``
(an MLP that never pools never pays for it); the first call of each loop then loads its
machine code from numba's on-disk cache, or compiles it once (about a second per loop
and dtype) when the cache is empty.

numba runs ``prange`` loops on a threading layer. Unless ``NUMBA_THREADING_LAYER`` says
otherwise, the loops use numba's own ``workqueue`` layer rather than OpenMP: OpenMP's
threads spin after each loop, and share libgomp with a PyTorch in the same process,
whose CPU time then grew several-fold (measured: 12 → 31 ms for its max-pool on one
thread). The workqueue layer does not allow two launches at once, so every launch holds
:data:`LOCK` (the loops never launch one another).
"""
import importlib.util
import os
import threading
import warnings

__all__ = ["available", "loops", "LOCK"]

LOCK = threading.Lock()


def _wanted():
    if os.environ.get("TINYGRAD_JP_NUMBA", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if importlib.util.find_spec("numba") is None:
        warnings.warn("tinygrad_jp: numba is not installed, so the CPU's max-pool passes run "
                      "as NumPy kernels on one core (pip install numba)", RuntimeWarning,
                      stacklevel=2)
        return False
    return True


_available = _wanted()
_loops = None


def available():
    """True when the numba loops are (or can be) loaded."""
    return _available


def loops():
    """The :mod:`.cpu_loops` module, imported (and numba's threads set) on first use;
    None when numba turns out not to be importable (said once, as a warning)."""
    global _loops, _available
    if _loops is None and _available:
        try:
            import numba
            if not os.environ.get("NUMBA_THREADING_LAYER"):
                numba.config.THREADING_LAYER = "workqueue"
            from . import cpu_loops
        except Exception as e:          # an installed numba that cannot load here
            _available = False
            warnings.warn(f"tinygrad_jp: numba could not be imported ({e}); the CPU's "
                          "max-pool passes run as NumPy kernels on one core", RuntimeWarning,
                          stacklevel=2)
            return None
        from .threads import apply_to_numba
        apply_to_numba()
        _loops = cpu_loops
    return _loops
