"""Rerun the experiments at their default size and copy their figures into the docs.

The pages ``docs/{en,ja}/experiments/*.md`` quote the numbers of these runs, and show
the figures they drew: English ones in ``docs/images/experiments/<name>/``, Japanese
ones in ``docs/images/experiments/<name>/ja/`` (``run_experiment(figure_langs=...)``).
``gan --conditional`` is run as well, its figures prefixed ``conditional_``.

    OPENBLAS_NUM_THREADS=1 python docs_tools/experiment_runs.py            # all of them
    OPENBLAS_NUM_THREADS=1 python docs_tools/experiment_runs.py cnn gan     # some
    python docs_tools/experiment_runs.py --copy-only cnn                    # figures only
    python docs_tools/experiment_runs.py --table cnn                        # claims' tables

The runs stay in ``runs/docs/<name>/`` (``report.md``, ``results.json``): the pages'
tables are written from them. One run at a time: the timings are the pages' timings.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images" / "experiments"
RUNS = ROOT / "runs" / "docs"
LANGS = ("en", "ja")


def _jobs(names):
    out = []
    for n in names:
        if n == "gan-conditional":
            out.append(("gan-conditional", "gan", {"conditional": True}, "conditional_"))
        else:
            out.append((n, n, {}, ""))
    return out


def copy_figures(run_dir, name, prefix=""):
    """Copy the figures of the run in ``run_dir`` into the docs (en and ja)."""
    import json
    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    target = IMAGES / name
    for fig in data["figures"]:
        for lang in LANGS:
            src = run_dir / fig if lang == data.get("lang", "en") else run_dir / lang / fig
            if not src.is_file():
                continue
            dst = (target if lang == "en" else target / lang) / (prefix + fig)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            print(f"  {dst.relative_to(ROOT)} ({dst.stat().st_size // 1024} KiB)")


_HEAD = {"en": ("| claim | shown? | the numbers, and how the seeds decided |",
                "**shown**", "**not shown**"),
         "ja": ("| カリキュラムの主張 | 確かめられたか | 数値と、シードでの判定 |",
                "**確認できた**", "**確認できなかった**")}


def claims_table(run_dir, lang="en"):
    """The claims of the run in ``run_dir`` as a Markdown table, in ``lang``: the claim,
    its verdict and the evidence with the spread over the seeds, as the report states
    them (``lang="ja"`` from the Japanese texts the run recorded, see Effect)."""
    import json
    data = json.loads((Path(run_dir) / "results.json").read_text(encoding="utf-8"))
    head, yes, no = _HEAD[lang]
    lines = [head, "|---|---|---|"]
    for e in data["effects"]:
        t = e if lang == data.get("lang", "en") else e.get("translations", {}).get(lang)
        if t is None:          # written without tr(): the evidence stays as it was
            print(f"warning: {run_dir}: the claim {e['claim']!r} has no {lang} text",
                  file=sys.stderr)
            t = {"claim": f"[{e['claim']}]", "evidence": e["evidence"],
                 "verdict": e["verdict"]}
        cells = [t["claim"], yes if e["shown"] else no,
                 f"{t['evidence']} ({t['verdict']})" if t.get("verdict") else t["evidence"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    sys.path.insert(0, str(ROOT))
    from tinygrad_jp.experiments import names, run_experiment
    every = names() + ["gan-conditional"]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help=f"default: all ({', '.join(every)})")
    ap.add_argument("--copy-only", action="store_true",
                    help="copy the figures of the runs already in runs/docs")
    ap.add_argument("--table", action="store_true",
                    help="print the claims' tables (en, ja) of the runs in runs/docs")
    args = ap.parse_args(argv)
    chosen = args.names or every
    if args.table:
        for n in chosen:
            for lang in LANGS:
                print(f"<!-- {n}, {lang} -->\n{claims_table(RUNS / n, lang)}\n")
        return
    for n in chosen:
        if n not in every:
            ap.error(f"unknown experiment {n!r}; choose from {', '.join(every)}")
    for label, name, options, prefix in _jobs(chosen):
        out = RUNS / label
        if not args.copy_only:
            start = time.perf_counter()
            report = run_experiment(name, out_dir=out, force=True, figure_langs=LANGS,
                                    **options)
            print(f"{label}: {time.perf_counter() - start:.0f} s "
                  f"(report: {report.elapsed:.0f} s)", flush=True)
        copy_figures(out, name, prefix)


if __name__ == "__main__":
    main()
