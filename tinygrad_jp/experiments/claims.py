"""Claims over seeds: the one function every experiment decides its claims with.

A curriculum claim ("batch norm learns faster", "ReLU + He learns on the deep net") is a
statement about a number measured once per seed: a difference between two conditions,
or a value against a level. One seed can make any such number look like an effect, so an
experiment runs its conditions at several seeds and :func:`check` decides on the spread:

* **shown** when the number is on the claimed side of the threshold *at every seed*, or
  when its 95 % confidence interval (Student's t over the seeds) lies entirely on that
  side;
* otherwise **not shown**, and the report says so with the spread:
  "not shown (within noise: 0.004 ± 0.013)".

>>> from tinygrad_jp.experiments.claims import check
>>> c = check([0.31, 0.29, 0.33], threshold=0.0)         # a difference per seed
>>> c.shown, c.spread()
(True, '0.310 ± 0.050')
>>> check([0.02, -0.01, 0.01]).shown                        # noise
False

``check(values, threshold, direction)`` takes one value per seed; ``direction='<'``
claims the values are *below* the threshold. :func:`difference` builds the per-seed
differences of two conditions. :func:`all_of` joins the checks of a compound claim.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["Check", "check", "difference", "all_of", "spread", "reached", "CONFIDENCE"]

CONFIDENCE = 0.95

# Two-sided Student's t quantiles for a 95 % interval, by degrees of freedom (SciPy is
# not a dependency); beyond the table the normal quantile is close enough.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t_quantile(dof):
    """The two-sided 95 % quantile of Student's t with ``dof`` degrees of freedom (the
    table's entry at or below ``dof``: never narrower than the exact interval)."""
    if dof < 1:
        return math.nan
    if dof >= 120:
        return 1.96
    return _T95[max(k for k in _T95 if k <= dof)]


def _fmt(v):
    if not math.isfinite(v):
        return str(v)
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 0.1:
        return f"{v:.2f}"
    if a >= 1e-3:
        return f"{v:.3f}"
    return f"{v:.1e}"


@dataclasses.dataclass(frozen=True)
class Check:
    """The verdict on one number measured at several seeds.

    ``values``: the number at each seed; ``threshold`` and ``direction`` ('>' or '<'):
    the claim is ``value > threshold`` (or ``<``); ``mean`` and ``half_width``: the mean
    over seeds and the half-width of its 95 % interval (NaN with one seed); ``held``:
    at how many seeds the claim held; ``shown``: the verdict; ``how``: why ('every
    seed', 'interval', 'one seed only', 'within noise').
    """
    values: tuple
    threshold: float
    direction: str
    mean: float
    half_width: float
    held: int
    shown: bool
    how: str

    @property
    def n(self):
        """The number of seeds."""
        return len(self.values)

    @property
    def low(self):
        return self.mean - self.half_width

    @property
    def high(self):
        return self.mean + self.half_width

    def spread(self):
        """``'mean ± half-width'`` (just the value with one seed)."""
        if self.n < 2 or not math.isfinite(self.half_width):
            return _fmt(self.mean)
        big = max(abs(self.mean), self.half_width)
        if 10 <= big < 1e5:
            return f"{self.mean:.0f} ± {self.half_width:.0f}"
        if 1e-3 <= big < 10:
            return f"{self.mean:.3f} ± {self.half_width:.3f}"
        return f"{_fmt(self.mean)} ± {_fmt(self.half_width)}"

    def verdict(self, lang="en"):
        """What the report prints after the evidence: how it was decided, with the spread."""
        s = self.spread()
        ja = lang == "ja"
        if self.how == "one seed only":
            return f"シード 1 つだけ: {s}" if ja else f"one seed only: {s}"
        if self.shown:
            if self.how == "every seed":
                return (f"{self.n} シードすべてで成立: {s}" if ja
                        else f"holds at all {self.n} seeds: {s}")
            return (f"95 % 区間が {_fmt(self.threshold)} を含まない: {s}" if ja
                    else f"95 % interval excludes {_fmt(self.threshold)}: {s}")
        return (f"示されず (ノイズの範囲内: {s}、{self.held}/{self.n} シードで成立)" if ja
                else f"not shown (within noise: {s}; holds at {self.held} of {self.n} seeds)")

    def to_dict(self):
        return {"values": [float(v) for v in self.values], "threshold": self.threshold,
                "direction": self.direction, "mean": self.mean,
                "half_width": self.half_width, "held": self.held, "shown": self.shown,
                "how": self.how}


def check(values, threshold=0.0, direction=">") -> Check:
    """Decide the claim "each of ``values`` is ``direction`` ``threshold``" over seeds.

    ``values``: one number per seed (a difference between two conditions, a final
    accuracy, a ratio...). A NaN value (a run that produced no number) never holds.
    Shown when the claim holds at every seed, or when the 95 % t-interval of the mean
    lies on the claimed side of ``threshold``; with one seed, when it holds there (the
    verdict then says "one seed only").
    """
    if direction not in (">", "<"):
        raise ValueError(f"check: direction must be '>' or '<', got {direction!r}")
    v = np.asarray([float(x) for x in np.ravel(np.asarray(values, dtype=float))])
    if v.size == 0:
        raise ValueError("check: no values (one per seed expected)")
    threshold = float(threshold)
    margin = v - threshold if direction == ">" else threshold - v
    holds = np.where(np.isfinite(margin), margin > 0, False)
    held = int(holds.sum())
    finite = v[np.isfinite(v)]
    mean = float(finite.mean()) if finite.size else math.nan
    if finite.size >= 2:
        half = float(t_quantile(finite.size - 1) * finite.std(ddof=1) / math.sqrt(finite.size))
    else:
        half = math.nan
    if v.size == 1:
        shown, how = bool(holds[0]), "one seed only"
    elif held == v.size:
        shown, how = True, "every seed"
    elif finite.size == v.size and math.isfinite(half) and (
            (direction == ">" and mean - half > threshold)
            or (direction == "<" and mean + half < threshold)):
        shown, how = True, "interval"
    else:
        shown, how = False, "within noise"
    return Check(tuple(float(x) for x in v), threshold, direction, mean, half, held, shown,
                 how)


def difference(a, b, margin=0.0) -> Check:
    """The claim "``a`` exceeds ``b`` by more than ``margin``", seed by seed (``a`` and
    ``b`` hold one value per seed, paired: the same seed's data and initial draw)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"difference: {a.shape} values against {b.shape}: pass one value "
                         "per seed for each condition")
    return check(a - b, threshold=margin, direction=">")


def all_of(*checks) -> bool:
    """True when every check is shown (a compound claim)."""
    return all(c.shown for c in checks)


def spread(values):
    """``'mean ± half-width'`` of one number measured at several seeds (for tables)."""
    v = np.asarray(values, dtype=float)
    return check(v if v.size else [np.nan]).spread() if v.size > 1 else \
        (_fmt(float(v[0])) if v.size else "nan")


def reached(steps, values, level, never=math.nan):
    """The first iteration in ``steps`` at which ``values`` reach ``level`` ("faster" is
    measured as iterations to a threshold), or ``never`` when they do not (pass a
    number past the run's end to compare a run that never got there)."""
    for s, a in zip(steps, values, strict=False):
        if a >= level:
            return float(s)
    return float(never)
