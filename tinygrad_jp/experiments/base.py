"""The experiment framework: a registry, a common signature, the data, a training loop in
the curriculum's style, and :class:`Report`, which writes ``report.md``.

An experiment reruns one of the DAY2 curriculum's exercises (DAY2 レポート, the
course's study report) and writes its figures (PNG) and a ``report.md`` into an output
folder: the settings, a table of final numbers, the figures as relative links, the
effect the curriculum describes and whether this run shows it (a check computed from
the numbers, stated honestly), and how long it took. ``tinygrad-jp experiment NAME``
runs one; ``--list`` lists them.

How to add an experiment
========================

1. Create ``tinygrad_jp/experiments/<name_with_underscores>.py`` and add the module name
   to ``_MODULES`` in ``tinygrad_jp/experiments/__init__.py`` (the eight curriculum
   experiments are already listed; a listed module that does not exist yet is skipped).
2. In it, write one function with the common signature and register it::

       from .base import Report, register, load_data, train_classifier

       @register("my-name", summary="one line for `experiment --list`",
                 options={"conditional": dict(action="store_true",
                                              help="... (my-name only)")})
       def run(out_dir, full=False, smoke=False, seed=0, conditional=False) -> Report:
           report = Report("my-name", out_dir, title="Title of the report",
                           full=full, smoke=smoke, seed=seed)
           data = load_data(full=full, smoke=smoke)        # see load_data
           report.data_note(data)
           report.setting("iterations", iters)             # every knob you used
           ...train, using train_classifier() or your own loop...
           report.figure("curves.png", fig_or_path, "what the figure shows")
           report.table(["run", "test acc"], rows)
           report.effect("what the curriculum says happens",
                         shown=bool(computed_from_numbers), evidence="the numbers")
           report.result("test_acc_relu_he", 0.83)         # also saved in results.json
           return report

   * ``out_dir`` is a ``pathlib.Path`` that exists and is empty (the runner checks
     ``--force``); write every file into it.
   * ``smoke=True`` must finish in a few seconds (tiny data, few iterations): the tests
     run it. The default (the embedded sample) must finish in ≤ 5 minutes on 2 cores;
     ``full=True`` uses the whole data set.
   * ``seed`` is already passed to ``tg.manual_seed`` and NumPy's legacy global seed by
     the runner; use :func:`rng` for your own draws.
   * Extra ``options`` become command-line flags (``--conditional``) of
     ``tinygrad-jp experiment``; give them defaults in the signature.
   * Import matplotlib only through :mod:`tinygrad_jp.viz` or inside functions, so
     ``experiment --list`` stays fast.
3. Add ``tests/experiments/test_<name>.py`` that runs it with ``smoke=True`` through
   :func:`run_experiment` and checks the report, and a docs page
   ``docs/{en,ja}/experiments/<name>.md`` with the figures the command produced.

:func:`run_experiment` prepares the folder, seeds, times the run, calls ``run``, and
writes ``report.md`` and ``results.json`` (the numbers of :meth:`Report.result` and the
effect checks, for tests and scripts).
"""
from __future__ import annotations

import contextvars
import dataclasses
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from .._io import atomic_write_text
from ..viz.plots import label as tr
from ..viz.plots import language
# The output folder: rerunning replaces the previous run (see run_folder.py).
from .run_folder import OutputExistsError, RunFolder, RunLockedError, prepare_out_dir

__all__ = ["Experiment", "Report", "Effect", "register", "get", "names", "registry",
           "run_experiment", "prepare_out_dir", "OutputExistsError", "RunLockedError", "Data",
           "load_data", "train_classifier", "TrainResult", "Progress", "accuracy", "rng",
           "plot_curve_grid", "train_test_curves", "tr",
           "set_threads_note", "check_report"]

_REGISTRY: dict[str, "Experiment"] = {}
# The device the running experiment trains on (set by run_experiment).
_DEVICE = contextvars.ContextVar("tinygrad_jp_experiment_device", default="cpu")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered experiment: its command-line ``name``, a one-line ``summary``, the
    function ``run(out_dir, full, smoke, seed, **options) -> Report`` and the extra
    command-line ``options`` (``{dest: argparse keyword arguments}``)."""
    name: str
    summary: str
    run: object
    options: dict

    def defaults(self) -> dict:
        """The default value of every extra option."""
        out = {}
        for dest, kw in self.options.items():
            if "default" in kw:
                out[dest] = kw["default"]
            elif kw.get("action") == "store_true":
                out[dest] = False
            elif kw.get("action") == "store_false":
                out[dest] = True
            else:
                out[dest] = None
        return out


def register(name, summary, options=None):
    """Decorator: register ``fn`` as the experiment ``name`` (lower-case, dashes).

    ``options`` maps extra keyword arguments of ``fn`` to ``argparse`` keyword arguments
    (``dict(action="store_true", help=...)``); the command line adds them as
    ``--<dest with dashes>``.
    """
    if not isinstance(name, str) or not name or name != name.lower() or " " in name:
        raise ValueError(f"register: experiment names are lower-case words joined by '-', "
                         f"got {name!r}")
    if not isinstance(summary, str) or not summary:
        raise ValueError(f"register({name!r}): give a one-line summary")

    def deco(fn):
        old = _REGISTRY.get(name)
        # The same function defined again (a reloaded module, a re-run notebook cell)
        # replaces its earlier self; another function may not take the name.
        same = old is not None and (old.run.__module__, old.run.__qualname__) == \
            (fn.__module__, fn.__qualname__)
        if old is not None and old.run is not fn and not same:
            raise ValueError(f"register: an experiment called {name!r} already exists "
                             f"({_REGISTRY[name].run.__module__})")
        _REGISTRY[name] = Experiment(name, summary, fn, dict(options or {}))
        fn.experiment_name = name
        return fn

    return deco


def registry() -> dict:
    """``{name: Experiment}`` of every registered experiment (importing them first)."""
    from . import _load_all
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def names() -> list:
    """The names of the registered experiments, sorted."""
    return list(registry())


def get(name) -> Experiment:
    """The experiment called ``name``; a ``KeyError`` that lists the valid names."""
    reg = registry()
    if name not in reg:
        raise KeyError(f"unknown experiment {name!r}; choose one of: {', '.join(reg)}")
    return reg[name]


def rng(seed, salt=0):
    """A NumPy generator for an experiment's own draws (batch choice, subsets)."""
    return np.random.default_rng([int(seed), int(salt)])


# ------------------------------------------------------------------------------- report
@dataclasses.dataclass
class Effect:
    """One claim of the curriculum and whether this run shows it."""
    claim: str
    shown: bool
    evidence: str


def _fmt(v):
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not np.isfinite(v):
            return str(v)
        if v == 0:
            return "0"
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        if abs(v) >= 1e-3:
            return f"{v:.4g}"
        return f"{v:.3e}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}" if abs(int(v)) >= 1000 else str(int(v))
    return str(v)


def _jsonable(v):
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Path):
        return str(v)
    return v


class Report:
    """Collects what an experiment found and writes it as ``report.md`` (+ ``results.json``).

    Sections, in this order: title and summary line; settings; the effect(s) the
    curriculum describes with **shown / not shown** and the evidence; tables; figures
    (relative links, so the folder can be moved); notes; timing and machine.
    """

    def __init__(self, name, out_dir, title, full=False, smoke=False, seed=0,
                 description=""):
        self.name = name
        self.out_dir = Path(out_dir)
        self.title = title
        self.description = description
        self.full = bool(full)
        self.smoke = bool(smoke)
        self.seed = int(seed)
        self.settings: dict = {}
        self.tables: list = []
        self.figures: list = []
        self.effects: list[Effect] = []
        self.notes: list[str] = []
        self.results: dict = {}
        self.started = time.perf_counter()
        self.elapsed: float | None = None
        self.replaced: str | None = None     # set by run_experiment: the run it replaced
        self.phases: dict = {}
        mode = "smoke test (tiny sizes)" if smoke else (
            "full data set" if full else "embedded sample")
        self.setting("mode", mode)
        self.setting("seed", self.seed)

    # -- collecting
    def setting(self, key, value):
        """Record one setting (shown in the settings table, saved in results.json)."""
        self.settings[str(key)] = value
        return value

    def data_note(self, data: "Data"):
        """Record which data set was used and its sizes."""
        self.setting("data", data.description)
        self.setting("training samples", len(data.x_train))
        self.setting("test samples", len(data.x_test))

    def table(self, headers, rows, caption=None):
        """Add a Markdown table (``rows`` are sequences of cells, formatted compactly)."""
        headers = [str(h) for h in headers]
        rows = [[_fmt(c) for c in r] for r in rows]
        for r in rows:
            if len(r) != len(headers):
                raise ValueError(f"Report.table: a row has {len(r)} cells for {len(headers)} "
                                 f"headers: {r}")
        self.tables.append((caption, headers, rows))

    def figure(self, filename, fig, caption):
        """Save ``fig`` (a matplotlib Figure, or the path of a file already written into
        ``out_dir``) as ``out_dir/filename`` and list it with ``caption``."""
        path = self.out_dir / filename
        if hasattr(fig, "savefig"):
            from ..viz.plots import _save
            _save(fig, path)
        elif Path(fig).resolve() != path.resolve():
            raise ValueError(f"Report.figure: {fig} is not in the output folder {self.out_dir}")
        if not path.is_file():
            raise FileNotFoundError(f"Report.figure: {path} was not written")
        self.figures.append((filename, caption))
        return path

    def effect(self, claim, shown, evidence):
        """State an effect the curriculum describes and whether the numbers show it."""
        self.effects.append(Effect(str(claim), bool(shown), str(evidence)))
        return bool(shown)

    def note(self, text):
        """Add a paragraph to the notes section."""
        self.notes.append(str(text))

    def result(self, key, value):
        """Record a number (or list / dict) in ``results.json``."""
        self.results[str(key)] = _jsonable(value)
        return value

    def phase(self, name, seconds):
        """Record how long one part of the run took (shown under timing)."""
        self.phases[str(name)] = float(seconds)

    @property
    def all_shown(self):
        """True when every stated effect was shown (vacuously True with none)."""
        return all(e.shown for e in self.effects)

    # -- writing
    def markdown(self) -> str:
        """The text of ``report.md``."""
        elapsed = self.elapsed if self.elapsed is not None else \
            time.perf_counter() - self.started
        lines = [f"# {self.title}", ""]
        lines.append(f"`tinygrad-jp experiment {self.name}`"
                     + (" `--full`" if self.full else "") + (" `--smoke`" if self.smoke else "")
                     + f" — {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
                     + f"{elapsed:.1f} s.")
        lines.append("")
        if self.description:
            lines += [self.description, ""]
        if self.smoke:
            lines += ["> **Smoke test**: tiny sizes so that the test suite runs in seconds; "
                      "the numbers below say little about the curriculum's effects. Run "
                      "without `--smoke` for the real experiment.", ""]
        lines += ["## What the curriculum says, and what this run shows", ""]
        if self.effects:
            for e in self.effects:
                mark = "**shown**" if e.shown else "**not shown**"
                lines.append(f"- {e.claim} — {mark} in this run: {e.evidence}")
        else:
            lines.append("- (no effect checked)")
        lines.append("")
        lines += ["## Settings", "", "| setting | value |", "|---|---|"]
        for k, v in self.settings.items():
            lines.append(f"| {k} | {_fmt(v)} |")
        lines.append("")
        if self.tables:
            lines += ["## Results", ""]
            for caption, headers, rows in self.tables:
                if caption:
                    lines += [caption, ""]
                lines.append("| " + " | ".join(headers) + " |")
                lines.append("|" + "---|" * len(headers))
                for r in rows:
                    lines.append("| " + " | ".join(r) + " |")
                lines.append("")
        if self.figures:
            lines += ["## Figures", ""]
            for filename, caption in self.figures:
                lines += [f"![{caption}]({filename})", "", f"*{caption}*", ""]
        if self.notes:
            lines += ["## Notes", ""]
            for n in self.notes:
                lines += [n, ""]
        lines += ["## Timing", ""]
        lines.append(f"- total: {elapsed:.1f} s")
        for k, v in self.phases.items():
            lines.append(f"- {k}: {v:.1f} s")
        lines.append(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs visible, "
                     f"Python {platform.python_version()}, NumPy {np.__version__}")
        lines.append("")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Everything as plain JSON-able values (what ``results.json`` holds)."""
        return _jsonable({
            "name": self.name, "title": self.title, "full": self.full, "smoke": self.smoke,
            "seed": self.seed, "elapsed_seconds": self.elapsed, "settings": self.settings,
            "effects": [dataclasses.asdict(e) for e in self.effects],
            "all_shown": self.all_shown, "results": self.results,
            "figures": [f for f, _ in self.figures], "phases": self.phases,
        })

    def write(self) -> Path:
        """Write ``report.md`` and ``results.json`` atomically; return the report's path."""
        if self.elapsed is None:
            self.elapsed = time.perf_counter() - self.started
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.out_dir / "results.json",
                           json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        path = self.out_dir / "report.md"
        atomic_write_text(path, self.markdown())
        return path


# ------------------------------------------------------------------------------ running
def run_experiment(name, out_dir=None, full=False, smoke=False, seed=0, force=False,
                   command=None, lang="en", device="cpu", **options) -> Report:
    """Run the experiment ``name`` and write its report; returns the :class:`Report`.

    ``out_dir`` defaults to ``runs/<name>``. A previous run of the same experiment there
    is replaced when this one has finished (until then it stays as it was; the report
    notes what it replaced, and ``report.replaced`` says it too). A folder holding
    anything else is refused (:class:`OutputExistsError`) unless ``force``; a folder
    another run is writing into right now raises :class:`RunLockedError`. ``command``
    is how the report names the command that made it; ``lang="ja"`` labels the figures
    in Japanese (the report's text stays English); ``device='cuda'`` trains on the GPU
    (the report's settings say where it ran). Unknown ``options`` raise TypeError.
    """
    exp = get(name)
    unknown = set(options) - set(exp.options)
    if unknown:
        valid = ", ".join(f"--{o.replace('_', '-')}" for o in exp.options) or "none"
        raise TypeError(f"experiment {name}: unknown option(s) "
                        f"{', '.join(sorted(unknown))}; its options: {valid}")
    if full and smoke:
        raise ValueError(f"experiment {name}: --full and --smoke exclude each other")
    kwargs = {**exp.defaults(), **options}
    target = Path(out_dir) if out_dir is not None else Path("runs") / name
    if command is None:
        command = f"tinygrad-jp experiment {name}" + (" --full" if full else "") + \
            (" --smoke" if smoke else "") + (f" --seed {seed}" if seed else "")
    import tinygrad_jp as tg
    with RunFolder(target, kind=f"experiment {name}", command=command, force=force,
                   stage=True) as folder:
        tg.manual_seed(int(seed))
        np.random.seed(int(seed) % 2 ** 32)
        start = time.perf_counter()
        token = _DEVICE.set(str(device))
        try:
            with language(lang):
                report = exp.run(folder.path, full=bool(full), smoke=bool(smoke),
                                 seed=int(seed), **kwargs)
        finally:
            _DEVICE.reset(token)
        if not isinstance(report, Report):
            raise TypeError(f"experiment {name}: run() must return a Report, got "
                            f"{type(report).__name__}")
        report.elapsed = time.perf_counter() - start
        report.setting("device", str(device))
        report.replaced = folder.replaced
        if folder.replaced:
            report.note(f"This run {folder.replaced}.")
        report.write()
    report.out_dir = folder.path
    return report


def set_threads_note(report):
    """Record the BLAS thread settings (they change the timings a lot on small machines)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            report.setting(var, os.environ[var])


def check_report(out_dir) -> dict:
    """Read the ``results.json`` of a finished experiment and check its ``report.md``:
    every figure it links exists and is a non-empty PNG, and every figure in
    ``results.json`` is linked. Returns the results dict; raises ``AssertionError``
    naming what is wrong (used by the tests, handy after a long run)."""
    import re
    out = Path(out_dir)
    report = out / "report.md"
    results = out / "results.json"
    assert report.is_file(), f"{report} is missing"
    assert results.is_file(), f"{results} is missing"
    data = json.loads(results.read_text(encoding="utf-8"))
    text = report.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    for link in links:
        assert not Path(link).is_absolute(), f"report.md links {link} by an absolute path"
        f = out / link
        assert f.is_file(), f"report.md links {link}, which does not exist"
        with open(f, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n", f"{link} is not a PNG"
    for fig in data.get("figures", []):
        assert fig in links, f"{fig} is in results.json but not linked from report.md"
    for e in data.get("effects", []):
        mark = "**shown**" if e["shown"] else "**not shown**"
        assert f"{e['claim']} — {mark}" in text, f"effect not stated in report.md: {e}"
    return data


# --------------------------------------------------------------------------------- data
@dataclasses.dataclass
class Data:
    """Arrays for an experiment: images float32 in [0, 1] (``(N, 784)`` when flattened,
    else ``(N, 1, 28, 28)``), labels int64 class indices; ``description`` names the
    source."""
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    description: str
    class_names: tuple = ()


SMOKE_TRAIN, SMOKE_TEST = 1000, 500


def load_data(full=False, smoke=False, flatten=True, n_train=None, n_test=None,
              seed=0) -> Data:
    """The data set of an experiment.

    Default: the embedded Fashion-MNIST sample (10,000 / 2,000 images, no files or
    network needed). ``full``: the whole Fashion-MNIST (60,000 / 10,000) through
    :class:`tinygrad_jp.data.FashionMNIST` (Debian's ``dataset-fashion-mnist``, the
    ``TINYGRAD_JP_DATA`` folder or the download cache; the error says how to get it).
    ``smoke``: the first ``SMOKE_TRAIN`` / ``SMOKE_TEST`` images of the sample, stratified.
    ``n_train`` / ``n_test`` cut the sets further (a class-balanced random subset drawn
    with ``seed``; the curriculum's overfitting run uses 300 training images).
    """
    from ..data import FashionMNIST
    if full:
        train, test = FashionMNIST(train=True), FashionMNIST(train=False)
        desc = "Fashion-MNIST (full)"
    else:
        train, test = FashionMNIST(train=True, sample=True), FashionMNIST(train=False,
                                                                         sample=True)
        desc = "Fashion-MNIST, embedded sample"
    x_train, t_train = train.arrays()
    x_test, t_test = test.arrays()
    if smoke:
        n_train = min(n_train or SMOKE_TRAIN, SMOKE_TRAIN)
        n_test = min(n_test or SMOKE_TEST, SMOKE_TEST)
        desc += " (smoke subset)"
    g = rng(seed, 7)

    def subset(x, t, n):
        if n is None or n >= len(x):
            return x, t
        # Class-balanced: take every class's first draws in turn, so tiny subsets
        # still contain all ten classes.
        order = g.permutation(len(x))
        ranks = np.empty(len(x), dtype=np.int64)
        for c in np.unique(t):
            members = order[t[order] == c]
            ranks[members] = np.arange(len(members))
        keep = np.lexsort((order.argsort(), ranks))[:n]
        keep.sort()
        return x[keep], t[keep]

    x_train, t_train = subset(x_train, t_train, n_train)
    x_test, t_test = subset(x_test, t_test, n_test)
    if flatten:
        x_train = x_train.reshape(len(x_train), -1)
        x_test = x_test.reshape(len(x_test), -1)
    return Data(x_train, t_train, x_test, t_test, desc, tuple(FashionMNIST.classes))


# ----------------------------------------------------------------------- training loop
@dataclasses.dataclass
class TrainResult:
    """What :func:`train_classifier` recorded: the iterations at which accuracies were
    measured, training / test accuracy there, the loss of every iteration, per-layer
    gradient norms at the measured iterations (``{layer: [...]}``), and the seconds."""
    steps: list
    train_acc: list
    test_acc: list
    loss: list
    grad_norms: dict
    seconds: float
    diverged: bool = False

    @property
    def final_train_acc(self):
        """The last training-set accuracy measured."""
        return self.train_acc[-1] if self.train_acc else float("nan")

    @property
    def final_test_acc(self):
        """The last test-set accuracy measured."""
        return self.test_acc[-1] if self.test_acc else float("nan")

    def to_dict(self):
        """Plain lists, for results.json."""
        return _jsonable(dataclasses.asdict(self))


class Progress:
    """What a long run shows while it works: a tqdm bar sized to the terminal, or, when
    the output is not a terminal (a log file, CI, a pipe), one line at every tenth of the
    work, so nobody stares at a silent command for a minute.

    >>> bar = Progress(2000, "deep sigmoid + gauss")              # doctest: +SKIP
    >>> bar.update(1, loss=2.3); bar.close()                        # doctest: +SKIP
    """

    STEPS = 10

    def __init__(self, total, desc, unit="it", stream=None):
        import sys
        self.total, self.desc, self.unit = int(total), str(desc), unit
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._next_line = self.total / self.STEPS
        self._start = time.perf_counter()
        self._bar = None
        if self.stream.isatty():
            from tqdm import tqdm
            self._bar = tqdm(total=self.total, desc=self.desc, unit=unit, leave=True,
                             dynamic_ncols=True, file=self.stream)

    def update(self, n=1, **postfix):
        """Count ``n`` more steps; ``postfix`` values (loss, accuracy) are shown beside."""
        self.done += n
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()},
                                      refresh=False)
            self._bar.update(n)
        elif self.done >= self._next_line or self.done >= self.total:
            while self._next_line <= self.done:
                self._next_line += self.total / self.STEPS
            extra = "".join(f", {k} {v:.4g}" for k, v in postfix.items())
            print(f"{self.desc}: {self.done}/{self.total} {self.unit} "
                  f"({100 * self.done / max(self.total, 1):.0f}%){extra}, "
                  f"{time.perf_counter() - self._start:.1f} s", file=self.stream, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def train_classifier(model, optimizer, data: Data, iters, batch_size=100, eval_every=10,
                     eval_train_size=1000, eval_test_size=None, grad_layers=None, seed=0,
                     loss_fn=None, desc="training"):
    """The curriculum's loop: ``iters`` updates on random mini-batches, accuracies every
    ``eval_every`` iterations.

    Each iteration draws ``batch_size`` indices with replacement
    (``np.random.choice(train_size, batch_size)`` in the course), computes the loss
    (``loss_fn(model, x, t)``, default ``model.loss(x, t)`` or cross-entropy), steps
    ``optimizer``. Every ``eval_every`` iterations (and after the last) it measures the
    accuracy on ``eval_train_size`` fixed training images (``None``: all) and on the
    test set (``eval_test_size`` fixed images, ``None``: all) in eval mode, and, with
    ``grad_layers`` (``{name: parameter}``), the L2 norm of each parameter's gradient of
    that iteration. A loss that becomes NaN/inf stops the run (``diverged=True``).
    ``desc`` names the run in its progress bar (:class:`Progress`).
    """
    g = rng(seed, 11)
    n = len(data.x_train)
    ev_train = np.arange(n) if eval_train_size is None or eval_train_size >= n else \
        np.sort(g.choice(n, eval_train_size, replace=False))
    m = len(data.x_test)
    ev_test = np.arange(m) if eval_test_size is None or eval_test_size >= m else \
        np.sort(g.choice(m, eval_test_size, replace=False))
    x_ev_train, t_ev_train = data.x_train[ev_train], data.t_train[ev_train]
    x_ev_test, t_ev_test = data.x_test[ev_test], data.t_test[ev_test]
    start = time.perf_counter()
    model.train()
    # A diverging run (too large a scale or learning rate) is a result, not an error: it
    # is recorded as diverged, so NumPy's overflow warnings are not printed.
    progress = Progress(iters, desc)
    # Train on the experiment's device; the model comes back to the host afterwards, so
    # the experiment reads its weights and activations as NumPy arrays, as the course does.
    model.to(_DEVICE.get())
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _train_loop(model, optimizer, data, iters, batch_size, eval_every, g, n,
                               x_ev_train, t_ev_train, x_ev_test, t_ev_test, grad_layers,
                               loss_fn, start, progress)
    finally:
        progress.close()
        model.cpu()


def accuracy(model, x, t, batch_size=500):
    """Fraction of correct argmax predictions of ``model`` on arrays ``x``, ``t`` (class
    indices), in eval mode without a graph; the model's mode is restored."""
    where = _model_device(model)
    if hasattr(model, "accuracy") and where == "cpu":
        return model.accuracy(x, t, batch_size=batch_size)
    import tinygrad_jp as tg
    was = model.training
    model.eval()
    correct = 0
    try:
        with tg.no_grad():
            for i in range(0, len(x), batch_size):
                y = model(tg.Tensor(x[i:i + batch_size]).to(where))
                guess = y.argmax(1).cpu().numpy()
                correct += int((guess == t[i:i + batch_size]).sum())
    finally:
        model.train(was)
    return correct / max(len(x), 1)


def _model_device(model):
    first = next(iter(model.parameters()), None)
    return "cpu" if first is None else first.device


def experiment_device():
    """The device the running experiment trains on (``run_experiment(device=...)``)."""
    return _DEVICE.get()


def _train_loop(model, optimizer, data, iters, batch_size, eval_every, g, n, x_ev_train,
                t_ev_train, x_ev_test, t_ev_test, grad_layers, loss_fn, start, progress):
    import tinygrad_jp as tg
    from ..nn import functional as F
    steps, train_acc, test_acc, losses = [], [], [], []
    where = _model_device(model)
    grad_norms = {k: [] for k in (grad_layers or {})}
    diverged = False
    for i in range(1, iters + 1):
        idx = g.integers(0, n, batch_size)
        x = tg.Tensor(data.x_train[idx]).to(where)
        t = tg.Tensor(data.t_train[idx]).to(where)
        optimizer.zero_grad()
        if loss_fn is not None:
            loss = loss_fn(model, x, t)
        elif hasattr(model, "loss"):
            loss = model.loss(x, t)
        else:
            loss = F.cross_entropy(model(x), t)
        loss.backward()
        value = float(loss.item())
        losses.append(value)
        record = i % eval_every == 0 or i == iters
        if record and grad_layers:
            for k, p in grad_layers.items():
                grad_norms[k].append(float(np.linalg.norm(p.grad.data)) if p.grad is not None
                                     else 0.0)
        if not np.isfinite(value):
            diverged = True
        else:
            optimizer.step()
        if record or diverged:
            steps.append(i)
            train_acc.append(accuracy(model, x_ev_train, t_ev_train))
            test_acc.append(accuracy(model, x_ev_test, t_ev_test))
            model.train()
        if diverged:
            progress.update(iters - i + 1, loss=value)
            break
        progress.update(1, loss=value, test_acc=test_acc[-1] if test_acc else float("nan"))
    return TrainResult(steps, train_acc, test_acc, losses, grad_norms,
                       time.perf_counter() - start, diverged)


# ------------------------------------------------------------------------------- plots
def train_test_curves(result):
    """``{training set: (steps, acc), test set: (steps, acc)}`` of a :class:`TrainResult`,
    labelled in the figures' language (one panel of :func:`plot_curve_grid`)."""
    return {tr("training set", "訓練データ"): (result.steps, result.train_acc),
            tr("test set", "テストデータ"): (result.steps, result.test_acc)}


def plot_curve_grid(panels, ncols=3, ylabel=None, xlabel=None, ylim=(0, 1),
                    title=None, path=None, legend_loc="outside lower center"):
    """A grid of small plots, one per run, each with several curves.

    ``panels`` maps a panel title to ``{curve label: (x, y)}``; curves of the same label
    share a colour across panels (the curriculum's "training set" / "test set" figures,
    many runs at once). One legend for the whole figure, outside the panels
    (``legend_loc``, a figure-legend location), so it hides no curve. Returns the
    Figure; saved with ``path``. The axes are "accuracy" over "iteration" unless
    ``ylabel`` / ``xlabel`` say otherwise.
    """
    ylabel = tr("accuracy", "正解率") if ylabel is None else ylabel
    xlabel = tr("iteration", "イテレーション") if xlabel is None else xlabel
    import math

    from ..viz.plots import _figure, _integer_ticks, _save
    n = len(panels)
    if n == 0:
        raise ValueError("plot_curve_grid: no panels")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = _figure((3.6 * ncols, 2.8 * nrows + (0.4 if title else 0)))
    colours = {}
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
               "tab:pink", "tab:gray", "tab:olive", "tab:cyan"]
    first = None
    handles = {}
    for i, (ptitle, curves) in enumerate(panels.items()):
        ax = fig.add_subplot(nrows, ncols, i + 1, sharey=first)
        first = first or ax
        longest = 0
        for label, (x, y) in curves.items():
            c = colours.setdefault(label, palette[len(colours) % len(palette)])
            line, = ax.plot(np.asarray(x), np.asarray(y), label=str(label), color=c,
                            linewidth=1.2, marker="o" if len(y) == 1 else None)
            handles.setdefault(str(label), line)
            longest = max(longest, len(y))
        _integer_ticks(ax, longest)
        ax.set_title(str(ptitle), fontsize=9)
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.grid(True, alpha=0.3)
        if i % ncols == 0:
            ax.set_ylabel(ylabel)
        if i >= n - ncols:
            ax.set_xlabel(xlabel)
    fig.legend(list(handles.values()), list(handles), loc=legend_loc, ncol=len(handles),
               fontsize="small")
    if title:
        fig.suptitle(title)
    return _save(fig, path)
