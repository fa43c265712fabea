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
from ..nn import Module
from ..train import Callback, NonFiniteLossError, evaluate, fit
from ..viz.plots import label as tr
from ..viz.plots import _TRANSLATIONS, current_language, language
# The output folder: rerunning replaces the previous run (see run_folder.py).
from .run_folder import OutputExistsError, RunFolder, RunLockedError, prepare_out_dir

__all__ = ["Experiment", "Report", "Effect", "register", "get", "names", "registry",
           "run_experiment", "prepare_out_dir", "OutputExistsError", "RunLockedError", "Data",
           "load_data", "train_classifier", "TrainResult", "Progress", "accuracy", "rng",
           "plot_curve_grid", "train_test_curves", "tr",
           "set_threads_note", "check_report", "seeds_for", "SEEDS", "stack_values",
           "CourseBatches"]

_REGISTRY: dict[str, "Experiment"] = {}
# The device the running experiment trains on (set by run_experiment).
_DEVICE = contextvars.ContextVar("tinygrad_jp_experiment_device", default="cpu")
# The languages to draw callable figures in besides the run's own (run_experiment).
_FIGURE_LANGS = contextvars.ContextVar("tinygrad_jp_experiment_figure_langs", default=())


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


# How many seeds each mode runs its conditions at (claims are decided over them).
SEEDS = {"smoke": 1, "default": 3, "full": 5, "gpu": 5}
_SEEDS = contextvars.ContextVar("tinygrad_jp_experiment_seeds", default=None)


def seeds_for(seed=0, full=False, smoke=False):
    """The seeds an experiment runs its conditions at: ``seed``, ``seed + 1``, ... —
    one for a smoke test, three by default, five with ``--full`` or on a GPU
    (``run_experiment(seeds=n)`` chooses another number)."""
    n = _SEEDS.get()
    if n is None:
        n = SEEDS["smoke"] if smoke else SEEDS["full"] if full else \
            SEEDS["gpu"] if _DEVICE.get() != "cpu" else SEEDS["default"]
    return [int(seed) + i for i in range(int(n))]


def rng(seed, salt=0):
    """A NumPy generator for an experiment's own draws (batch choice, subsets)."""
    return np.random.default_rng([int(seed), int(salt)])


# ------------------------------------------------------------------------------- report
@dataclasses.dataclass
class Effect:
    """One claim of the curriculum and whether this run shows it; ``verdict`` says how
    it was decided over the seeds, with the spread (see :mod:`.claims`), and ``checks``
    holds the per-seed numbers behind it."""
    claim: str
    shown: bool
    evidence: str
    verdict: str = ""
    checks: list = dataclasses.field(default_factory=list)
    # The same claim in the other language, when its texts were written with tr():
    # {"ja": {"claim": ..., "evidence": ..., "verdict": ...}} (the docs quote both).
    translations: dict = dataclasses.field(default_factory=dict)


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
                 description="", seeds=None):
        self.name = name
        self.lang = current_language()      # the language of the report and its figures
        self.figure_langs = _FIGURE_LANGS.get()     # more languages for callable figures
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
        mode = tr("smoke test (tiny sizes)", "スモークテスト (小さなサイズ)") if smoke else (
            tr("full data set", "データセット全体") if full else
            tr("embedded sample", "同梱のサンプル"))
        self.setting("mode", mode)
        self.setting("seed", self.seed)
        self.seeds = list(seeds) if seeds is not None else [self.seed]
        if len(self.seeds) > 1:
            self.setting(tr("seeds", "シード"), ", ".join(str(s) for s in self.seeds)
                         + tr(" (every run is repeated at each; claims are decided over "
                              "them)", " (各条件をすべてのシードで実行し、主張はその"
                                       "ばらつきで判定)"))

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
        """Save ``fig`` (a matplotlib Figure, a function of no arguments that draws one,
        or the path of a file already written into ``out_dir``) as ``out_dir/filename``
        and list it with ``caption``. A function is also drawn in each language of
        ``figure_langs`` into ``out_dir/<lang>/filename`` (the docs keep both)."""
        path = self.out_dir / filename
        if callable(fig) and not hasattr(fig, "savefig"):
            from ..viz.plots import _save
            for lang in self.figure_langs:
                if lang != self.lang:
                    (self.out_dir / lang).mkdir(exist_ok=True)
                    with language(lang):
                        _save(fig(), self.out_dir / lang / filename)
            fig = fig()
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
        """State an effect the curriculum describes and whether the numbers show it
        (one that needs no seeds, e.g. deterministic; else :meth:`claim`)."""
        self.effects.append(Effect(str(claim), bool(shown), str(evidence),
                                   translations=self._translations(claim, evidence)))
        return bool(shown)

    def _translations(self, claim, evidence, checks=()):
        # the Japanese texts of a claim written with tr() in an English run
        book = _TRANSLATIONS.get()
        if self.lang == "en" and book and claim in book and evidence in book:
            return {"ja": {"claim": book[claim], "evidence": book[evidence],
                           "verdict": "; ".join(c.verdict("ja") for c in checks)}}
        return {}

    def claim(self, claim, checks, evidence):
        """State an effect decided over the seeds: ``checks`` is one
        :class:`~.claims.Check` (or a list: a compound claim, shown when every part is);
        the report prints ``evidence`` and, for each check, how it was decided with its
        spread ("holds at all 3 seeds: 0.310 ± 0.050", "not shown (within noise: ...)")."""
        checks = [checks] if not isinstance(checks, (list, tuple)) else list(checks)
        shown = all(c.shown for c in checks)
        verdict = "; ".join(c.verdict(self.lang) for c in checks)
        self.effects.append(Effect(str(claim), shown, str(evidence), verdict,
                                   [c.to_dict() for c in checks],
                                   self._translations(claim, evidence, checks)))
        return shown

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
        """The text of ``report.md`` (in Japanese when the run's language is 'ja')."""
        ja = self.lang == "ja"

        def t(en, jp):
            return jp if ja else en

        elapsed = self.elapsed if self.elapsed is not None else \
            time.perf_counter() - self.started
        lines = [f"# {self.title}", ""]
        lines.append(f"`tinygrad-jp experiment {self.name}`"
                     + (" `--full`" if self.full else "") + (" `--smoke`" if self.smoke else "")
                     + (" `--lang ja`" if ja else "")
                     + f" — {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
                     + f"{elapsed:.1f} s.")
        lines.append("")
        if self.description:
            lines += [self.description, ""]
        if self.smoke:
            lines += [t("> **Smoke test**: tiny sizes so that the test suite runs in seconds; "
                        "the numbers below say little about the curriculum's effects. Run "
                        "without `--smoke` for the real experiment.",
                        "> **スモークテスト**: テストが数秒で終わるよう小さなサイズで実行して"
                        "います。以下の数値はカリキュラムの効果についてほとんど何も言いません。"
                        "本当の実験は `--smoke` なしで実行してください。"), ""]
        lines += [t("## What the curriculum says, and what this run shows",
                    "## カリキュラムの主張と、この実行で示されたこと"), ""]
        if len(self.seeds) > 1:
            lines += [t(f"Every claim is decided over the {len(self.seeds)} seeds "
                        f"({', '.join(str(s) for s in self.seeds)}): **shown** only when it "
                        "holds at every seed or the 95 % interval of its mean excludes the "
                        "threshold; the spread is mean ± the interval's half-width.",
                        f"どの主張も {len(self.seeds)} つのシード "
                        f"({', '.join(str(s) for s in self.seeds)}) で判定します: すべての"
                        "シードで成り立つか、平均の 95 % 区間がしきい値を含まないときだけ"
                        "**示された** とし、ばらつきは 平均 ± 区間の半幅 で書きます。"), ""]
        if self.effects:
            for e in self.effects:
                mark = _mark(e.shown, self.lang)
                extra = f" ({e.verdict})" if e.verdict else ""
                lines.append(f"- {e.claim} — {mark}{t(' in this run', '')}: "
                             f"{e.evidence}{extra}")
        else:
            lines.append(t("- (no effect checked)", "- (確認した効果なし)"))
        lines.append("")
        lines += [t("## Settings", "## 設定"), "",
                  t("| setting | value |", "| 設定 | 値 |"), "|---|---|"]
        for k, v in self.settings.items():
            lines.append(f"| {k} | {_fmt(v)} |")
        lines.append("")
        if self.tables:
            lines += [t("## Results", "## 結果"), ""]
            for caption, headers, rows in self.tables:
                if caption:
                    lines += [caption, ""]
                lines.append("| " + " | ".join(headers) + " |")
                lines.append("|" + "---|" * len(headers))
                for r in rows:
                    lines.append("| " + " | ".join(r) + " |")
                lines.append("")
        if self.figures:
            lines += [t("## Figures", "## 図"), ""]
            for filename, caption in self.figures:
                lines += [f"![{caption}]({filename})", "", f"*{caption}*", ""]
        if self.notes:
            lines += [t("## Notes", "## 注"), ""]
            for n in self.notes:
                lines += [n, ""]
        lines += [t("## Timing", "## 所要時間"), ""]
        lines.append(f"- {t('total', '合計')}: {elapsed:.1f} s")
        for k, v in self.phases.items():
            lines.append(f"- {k}: {v:.1f} s")
        lines.append(f"- {t('machine', 'マシン')}: {platform.machine()}, {os.cpu_count()} "
                     f"CPUs visible, Python {platform.python_version()}, NumPy {np.__version__}")
        lines.append("")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Everything as plain JSON-able values (what ``results.json`` holds)."""
        return _jsonable({
            "name": self.name, "title": self.title, "full": self.full, "smoke": self.smoke,
            "seed": self.seed, "seeds": self.seeds, "lang": self.lang,
            "elapsed_seconds": self.elapsed, "settings": self.settings,
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


def _mark(shown, lang="en"):
    """The verdict as the report prints it."""
    if lang == "ja":
        return "**示された**" if shown else "**示されなかった**"
    return "**shown**" if shown else "**not shown**"


# ------------------------------------------------------------------------------ running
def run_experiment(name, out_dir=None, full=False, smoke=False, seed=0, force=False,
                   command=None, lang="en", device="cpu", seeds=None, figure_langs=(),
                   **options) -> Report:
    """Run the experiment ``name`` and write its report; returns the :class:`Report`.

    ``out_dir`` defaults to ``runs/<name>``. A previous run of the same experiment there
    is replaced when this one has finished (until then it stays as it was; the report
    notes what it replaced, and ``report.replaced`` says it too). A folder holding
    anything else is refused (:class:`OutputExistsError`) unless ``force``; a folder
    another run is writing into right now raises :class:`RunLockedError`. ``command``
    is how the report names the command that made it; ``lang="ja"`` labels the figures
    in Japanese (the report's text stays English); ``device='cuda'`` trains on the GPU
    (the report's settings say where it ran). ``seeds``: how many seeds the conditions
    run at (default :data:`SEEDS`: 1 smoke, 3 default, 5 full or GPU). ``figure_langs``
    (e.g. ``("en", "ja")``): draw the figures in these languages too, into
    ``<out>/<lang>/`` (what the docs keep). Unknown ``options`` raise TypeError.
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
        seeds_token = _SEEDS.set(None if seeds is None else max(1, int(seeds)))
        langs_token = _FIGURE_LANGS.set(tuple(figure_langs))
        book_token = _TRANSLATIONS.set({})     # claims written with tr(): both languages
        try:
            with language(lang):
                report = exp.run(folder.path, full=bool(full), smoke=bool(smoke),
                                 seed=int(seed), **kwargs)
        finally:
            _DEVICE.reset(token)
            _SEEDS.reset(seeds_token)
            _FIGURE_LANGS.reset(langs_token)
            _TRANSLATIONS.reset(book_token)
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
        mark = _mark(e["shown"], data.get("lang", "en"))
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
    gradient norms at the measured iterations (``{layer: [...]}``), the seconds, whether
    the loss diverged, and the gradient norms of the very first iteration
    (``start_grad_norms``, ``{layer: norm}``: the gradients "at the start")."""
    steps: list
    train_acc: list
    test_acc: list
    loss: list
    grad_norms: dict
    seconds: float
    diverged: bool = False
    start_grad_norms: dict = dataclasses.field(default_factory=dict)

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


class CourseBatches:
    """The curriculum's mini-batches as a loader for :func:`tinygrad_jp.train.fit`:
    each batch is ``batch_size`` indices drawn *with replacement*
    (``np.random.choice(train_size, batch_size)`` in the course) from ``generator``, and
    one pass yields ``length`` batches, so that ``fit``'s "epoch" is the stretch of
    iterations between two accuracy measurements. ``transform`` (an augmentation
    pipeline on NumPy batches) is applied to each drawn batch, as the course augments
    on-line."""

    def __init__(self, x, t, batch_size, length, generator, transform=None):
        self.x, self.t = x, t
        self.batch_size, self.length = int(batch_size), int(length)
        self.generator = generator
        self.transform = transform

    def __len__(self):
        return self.length

    def __iter__(self):
        from ..tensor import Tensor
        n = len(self.x)
        for _ in range(self.length):
            idx = self.generator.integers(0, n, self.batch_size)
            x = self.x[idx]
            if self.transform is not None:
                x = self.transform(x)
            yield Tensor(x), Tensor(self.t[idx])


def _batches(x, t, batch_size=500):
    """``(x, t)`` as a loader of ``(Tensor, Tensor)`` batches, in order (for evaluation)."""
    from ..tensor import Tensor
    return [(Tensor(x[i:i + batch_size]), Tensor(t[i:i + batch_size]))
            for i in range(0, len(x), batch_size)]


def accuracy(model, x, t, batch_size=500):
    """Fraction of correct argmax predictions of ``model`` on arrays ``x``, ``t`` (class
    indices): :func:`tinygrad_jp.train.evaluate` with the one ``accuracy`` metric of
    :mod:`tinygrad_jp.train`, in eval mode without a graph, on the model's device; the
    model's mode is restored."""
    if len(x) == 0:
        return 0.0
    return evaluate(model, _batches(x, t, batch_size), metrics=("accuracy",))["acc"]


class _Passthrough(Module):
    """Lets a course-style ``loss_fn(model, x, t)`` run under ``fit``, whose loss sees
    only the output: this module's output is its input, and the loss calls the model."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return x


class _Recorder(Callback):
    """The callback of :func:`train_classifier`: the loss of every iteration, the
    accuracies at the end of each stretch, gradient norms, the progress bar."""

    def __init__(self, model, iters, eval_every, evals, grad_layers, progress, loader):
        self.model, self.iters, self.eval_every = model, iters, eval_every
        self.evals, self.grad_layers = evals, grad_layers or {}
        self.progress, self.loader = progress, loader
        self.steps, self.train_acc, self.test_acc, self.losses = [], [], [], []
        self.grad_norms = {k: [] for k in self.grad_layers}
        self.start_grad_norms = {}

    def on_epoch_begin(self, epoch, logs=None):
        # The last stretch may be shorter than eval_every.
        self.loader.length = min(self.eval_every, self.iters - self.trainer.global_step)

    def on_after_backward(self, model):
        it = self.trainer.global_step + 1
        if not self.grad_layers:
            return
        norms = {k: float(np.linalg.norm(p.grad.cpu().numpy())) if p.grad is not None
                 else 0.0 for k, p in self.grad_layers.items()}
        if it == 1:
            self.start_grad_norms = norms
        if it % self.eval_every == 0 or it == self.iters:
            for k, v in norms.items():
                self.grad_norms[k].append(v)

    def on_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])
        self.progress.update(1, loss=logs["loss"],
                             test_acc=self.test_acc[-1] if self.test_acc else float("nan"))

    def on_epoch_end(self, epoch, logs=None):
        self.measure(self.trainer.global_step)

    def measure(self, step, diverged=False):
        if diverged:                  # fit stops before the backward of a NaN loss
            for v in self.grad_norms.values():
                v.append(float("nan"))
        self.steps.append(step)
        (xa, ta), (xb, tb) = self.evals
        self.train_acc.append(accuracy(self.model, xa, ta))
        self.test_acc.append(accuracy(self.model, xb, tb))


def train_classifier(model, optimizer, data: Data, iters, batch_size=100, eval_every=10,
                     eval_train_size=None, eval_test_size=None, grad_layers=None, seed=0,
                     loss_fn=None, desc="training", criterion=None, transform=None):
    """The curriculum's training, run by :func:`tinygrad_jp.train.fit`: ``iters`` updates
    on random mini-batches (:class:`CourseBatches`), accuracies every ``eval_every``
    iterations.

    The loss is ``criterion(output, t)`` (default: cross-entropy plus the model's
    ``penalty()`` when it has one, i.e. the curriculum models' ``loss``); a course-style
    ``loss_fn(model, x, t)`` is accepted too. ``transform`` augments each drawn batch.
    Every ``eval_every`` iterations (and after the last) the accuracy is measured on
    ``eval_train_size`` fixed training images (``None``, the default: the whole
    training set) and on the test set (``eval_test_size`` fixed images, ``None``: all)
    in eval mode, and, with ``grad_layers`` (``{name: parameter}``), the L2 norm of each
    parameter's gradient of that iteration, and of iteration 1
    (``TrainResult.start_grad_norms``). A loss that becomes NaN/inf stops the run
    (``diverged=True``). ``desc`` names the run in its progress bar (:class:`Progress`).
    """
    from ..nn import functional as F
    g = rng(seed, 11)
    n = len(data.x_train)
    ev_train = np.arange(n) if eval_train_size is None or eval_train_size >= n else \
        np.sort(g.choice(n, eval_train_size, replace=False))
    m = len(data.x_test)
    ev_test = np.arange(m) if eval_test_size is None or eval_test_size >= m else \
        np.sort(g.choice(m, eval_test_size, replace=False))
    evals = ((data.x_train[ev_train], data.t_train[ev_train]),
             (data.x_test[ev_test], data.t_test[ev_test]))
    if loss_fn is not None:
        trained, fn = _Passthrough(model), (lambda x, t: loss_fn(model, x, t))
    else:
        trained = model
        if criterion is not None:
            fn = criterion
        else:
            def fn(out, t):
                loss = F.cross_entropy(out, t)
                extra = model.penalty() if hasattr(model, "penalty") else None
                return loss if extra is None else loss + extra
    loader = CourseBatches(data.x_train, data.t_train, batch_size, eval_every, g,
                           transform)
    progress = Progress(iters, desc)
    rec = _Recorder(model, iters, eval_every, evals, grad_layers, progress, loader)
    start = time.perf_counter()
    # Train on the experiment's device; the model comes back to the host afterwards, so
    # the experiment reads its weights and activations as NumPy arrays, as the course does.
    model.to(_DEVICE.get())
    diverged = False
    try:
        # A diverging run (too large a scale or learning rate) is a result, not an error:
        # it is recorded as diverged, so NumPy's overflow warnings are not printed.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                fit(trained, fn, optimizer, loader, epochs=-(-iters // eval_every),
                    callbacks=[rec], metrics=(), progress=False)
            except NonFiniteLossError as e:
                diverged = True
                rec.losses.append(float("nan"))
                rec.measure(e.iteration, diverged=True)
                progress.update(iters - e.iteration + 1)
    finally:
        progress.close()
        model.cpu()
    return TrainResult(rec.steps, rec.train_acc, rec.test_acc, rec.losses, rec.grad_norms,
                       time.perf_counter() - start, diverged, rec.start_grad_norms)


def _model_device(model):
    first = next(iter(model.parameters()), None)
    return "cpu" if first is None else first.device


def experiment_device():
    """The device the running experiment trains on (``run_experiment(device=...)``)."""
    return _DEVICE.get()


# ------------------------------------------------------------------------------- plots
def train_test_curves(result):
    """``{training set: (steps, acc), test set: (steps, acc)}`` of a :class:`TrainResult`,
    labelled in the figures' language (one panel of :func:`plot_curve_grid`). Given a
    list of results (one per seed), the accuracies are a 2-D array, one row per seed
    (NaN after a run that stopped early), which :func:`plot_curve_grid` draws as the
    mean with the band from the lowest to the highest seed."""
    if isinstance(result, TrainResult):
        return {tr("training set", "訓練データ"): (result.steps, result.train_acc),
                tr("test set", "テストデータ"): (result.steps, result.test_acc)}
    results = list(result)
    longest = max(results, key=lambda r: len(r.steps))

    def stack(attr):
        out = np.full((len(results), len(longest.steps)), np.nan)
        for i, r in enumerate(results):
            v = getattr(r, attr)
            out[i, :len(v)] = v
        return out
    return {tr("training set", "訓練データ"): (longest.steps, stack("train_acc")),
            tr("test set", "テストデータ"): (longest.steps, stack("test_acc"))}


def stack_values(values):
    """Per-seed sequences of unequal length as one 2-D array, NaN-padded."""
    n = max(len(v) for v in values)
    out = np.full((len(values), n), np.nan)
    for i, v in enumerate(values):
        out[i, :len(v)] = v
    return out


def plot_curve_grid(panels, ncols=3, ylabel=None, xlabel=None, ylim=(0, 1.02),
                    title=None, path=None, legend_loc="outside lower center", diverged=()):
    """A grid of small plots, one per run, each with several curves.

    ``panels`` maps a panel title to ``{curve label: (x, y)}``; curves of the same label
    share a colour across panels (the curriculum's "training set" / "test set" figures,
    many runs at once). One legend for the whole figure, outside the panels
    (``legend_loc``, a figure-legend location), so it hides no curve. Returns the
    Figure; saved with ``path``. The axes are "accuracy" over "iteration" unless
    ``ylabel`` / ``xlabel`` say otherwise. ``diverged`` names what diverged: a panel
    title (all its curves) or a ``(panel title, curve label)`` pair (that curve only);
    those curves are drawn dotted and end in a red ×, the others as usual.
    """
    ylabel = tr("accuracy", "正解率") if ylabel is None else ylabel
    xlabel = tr("iteration", "イテレーション") if xlabel is None else xlabel
    import math

    from matplotlib.lines import Line2D

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
        panel_broken = ptitle in diverged
        any_broken = False
        for label, (x, y) in curves.items():
            broken = panel_broken or (ptitle, label) in diverged
            any_broken = any_broken or broken
            c = colours.setdefault(label, palette[len(colours) % len(palette)])
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
            if y.ndim == 2:
                if y.shape[0] > 1:
                    with np.errstate(all="ignore"):
                        ax.fill_between(x, np.nanmin(y, 0), np.nanmax(y, 0), color=c,
                                        alpha=0.2, linewidth=0)
                with np.errstate(all="ignore"):
                    y = np.nanmean(y, 0) if y.shape[0] > 1 else y[0]
            ax.plot(x, y, label=str(label), color=c, linewidth=1.2,
                    linestyle=":" if broken else "-", marker="o" if len(y) == 1 else None)
            if broken:
                ok = np.flatnonzero(np.isfinite(y))
                if ok.size:
                    ax.plot(x[ok[-1]], y[ok[-1]], "x", color="tab:red", markersize=8,
                            markeredgewidth=2)
            # the legend shows the plain style, whatever the first panel drew
            handles.setdefault(str(label), Line2D([], [], color=c, linewidth=1.2))
            longest = max(longest, len(y))
        if any_broken:
            # at the top, unboxed: a curve that still learns passes under it visibly
            ax.text(0.5, 0.95, tr("diverged (loss → NaN)", "発散 (損失 → NaN)"),
                    transform=ax.transAxes, ha="center", va="top", color="tab:red",
                    fontsize=9)
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
