"""Every ```python block in docs/ runs (per page, in order, in one namespace), so the
examples the learners copy work as written.

Rendering a graph to a picture needs Graphviz's `dot` program, which a learner may not
have. Without it, a block whose *last statement* renders (and raises
`GraphvizNotFoundError`) counts as needing `dot`: the rest of the page still runs, and
the test is reported as skipped with the blocks named. A render call anywhere else in a
block would hide the lines after it, so that fails: keep rendering last in its block."""
import pathlib
import re
import shutil
import traceback

import matplotlib
import pytest

from tinygrad_jp.viz import GraphvizNotFoundError

matplotlib.use("Agg")

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _last_statement_line(code):
    import ast
    return ast.parse(code).body[-1].lineno


def _failing_line(error, filename):
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__)
             if f.filename == filename]
    return lines[-1] if lines else None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)       # examples that write files write them here
    namespace = {"__name__": "__docs__"}
    needed_dot = []
    for i, code in enumerate(BLOCK.findall(page.read_text(encoding="utf-8"))):
        filename = f"{page.name}[block {i}]"
        try:
            exec(compile(code, filename, "exec"), namespace)
        except GraphvizNotFoundError as e:
            if shutil.which("dot") is not None:
                raise
            line = _failing_line(e, filename)
            if line != _last_statement_line(code):
                raise AssertionError(
                    f"{filename} renders a graph on line {line}, not as its last statement: "
                    "without `dot` the lines after it would go untested. Move the rendering "
                    "call to the end of the block.") from e
            needed_dot.append(i)
    if needed_dot:
        pytest.skip(f"{page.name}: blocks {needed_dot} end by rendering a graph, which needs "
                    "Graphviz's `dot` program (not installed); every other line ran")
