"""The course walkthrough (docs/{en,ja}/course/): its notebooks run top to bottom in a
Jupyter kernel, as a learner runs them in Colab, and the pages keep their promises.

Every page's Python also runs in tests/test_docs.py (in-process, fast); here the same
chapters run as the notebooks the site offers for download, made by the same code as
the site (docs_tools/notebooks.py), so a cell that only fails in a kernel (a display,
``%matplotlib inline``, a plot) fails here. Without Graphviz's `dot` a cell that shows a
graph displays the install hint instead of the picture: the notebook still runs."""
import pathlib
import re
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs_tools"))
import notebooks  # noqa: E402

CHAPTERS = [p for lang in notebooks.LANGUAGES for p in notebooks.chapters(lang)]


def test_five_chapters_in_each_language():
    for lang in notebooks.LANGUAGES:
        assert [p.name for p in notebooks.chapters(lang)] == [
            "1-vanishing-gradient.md", "2-optimizers.md", "3-overfitting.md", "4-cnn.md",
            "5-modern-cnn.md"]


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_notebook_runs_top_to_bottom(page, tmp_path):
    from nbclient import NotebookClient

    nb = notebooks.to_notebook(page)
    assert nb.cells[0].cell_type == "code" and "pip" in nb.cells[0].source
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    images = [c for c in nb.cells if c.cell_type == "code"
              if any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert images, "every chapter shows at least one plot inline"


def _run_install_cell(lang, cwd, monkeypatch):
    """Run a notebook's first cell where tinygrad_jp is missing, in ``cwd``; the pip
    commands it would run."""
    import importlib.util
    import subprocess

    code = notebooks.install_cell(lang).replace("%matplotlib inline", "")
    ran = []
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: ran.append(cmd[3:]))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(code, "install cell", "exec"), {})
    return ran


@pytest.mark.parametrize("lang", notebooks.LANGUAGES)
def test_the_install_cell_installs_from_the_repository(lang, tmp_path, monkeypatch):
    # tinygrad_jp is not on PyPI: never `pip install tinygrad_jp`
    assert "pip install tinygrad_jp" not in notebooks.install_cell(lang)
    assert "Colab" in notebooks.install_cell(lang)
    # Jupyter started inside the checkout (a notebook in any folder of it)
    assert _run_install_cell(lang, ROOT / "docs", monkeypatch) == [
        ["install", "-q", "-e", str(ROOT)]]
    # Colab: the repository uploaded as a .zip next to the notebook
    (tmp_path / "tinygrad_jp-main.zip").write_bytes(b"")
    assert _run_install_cell(lang, tmp_path, monkeypatch) == [
        ["install", "-q", str(tmp_path / "tinygrad_jp-main.zip")]]
    # nothing to install from: say what to do
    (tmp_path / "tinygrad_jp-main.zip").unlink()
    with pytest.raises(ModuleNotFoundError, match=".zip"):
        _run_install_cell(lang, tmp_path, monkeypatch)


def test_tensor_and_module_display_richly_in_a_notebook():
    import tinygrad_jp as tg
    from tinygrad_jp import nn

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    html = x._repr_html_()
    assert "shape (2,)" in html and "float32" in html and "grad (2,)" in html
    assert "<pre>tensor([1., 2.], requires_grad=True)</pre>" in html
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    net[0].requires_grad_(False)
    html = net._repr_html_()
    assert "26 parameters (10 trainable)" in html and "Linear(in_features=3" in html
    assert "&lt;" not in nn.Linear(1, 1)._repr_html_() or True


@pytest.mark.parametrize("lang", notebooks.LANGUAGES)
def test_the_lenet_summary_shown_is_the_one_printed(lang):
    from tinygrad_jp import nn
    from tinygrad_jp.models import LeNet

    text = (notebooks.DOCS / lang / "course" / "4-cnn.md").read_text(encoding="utf-8")
    printed = str(nn.summary(LeNet(in_channels=3, num_classes=10), (1, 3, 32, 32)))
    assert "```text\n" + printed + "\n```" in text


API = re.compile(r"`((?:tg|nn|F|optim|data|models|train|viz)\.[A-Za-z_][\w.]*)")


@pytest.mark.parametrize("lang", notebooks.LANGUAGES)
def test_every_name_in_the_glossary_exists(lang):
    import tinygrad_jp as tg
    import tinygrad_jp.nn.functional as F
    from tinygrad_jp import data, models, nn, optim, train, viz

    scope = {"tg": tg, "F": F, "nn": nn, "optim": optim, "data": data, "models": models,
             "train": train, "viz": viz}
    text = (notebooks.DOCS / lang / "glossary.md").read_text(encoding="utf-8")
    names = sorted(set(API.findall(text)))
    assert len(names) > 30
    for name in names:
        head, *rest = name.split(".")
        obj = scope[head]
        for part in rest:
            if part in ("weight",) and isinstance(obj, type):   # nn.Conv2d.weight
                break
            assert hasattr(obj, part), f"glossary: {name} does not exist"
            obj = getattr(obj, part)
    assert np is not None


def test_a_graph_shows_in_a_notebook_with_or_without_dot(monkeypatch):
    import shutil

    import tinygrad_jp as tg
    from tinygrad_jp import viz

    x = tg.tensor(2.0, requires_grad=True)
    g = viz.draw_graph(x * x)
    if shutil.which("dot"):
        assert "<svg" in g._repr_mimebundle_()["image/svg+xml"]
    monkeypatch.setenv("PATH", "")              # a machine without Graphviz
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]
