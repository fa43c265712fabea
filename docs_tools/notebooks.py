"""The course's chapters as Jupyter notebooks, made from their Markdown pages.

One source: ``docs/{en,ja}/course/N-*.md`` is both a page of the site and a notebook.
jupytext reads the page (``python`` blocks become code cells, the rest Markdown cells);
we put an install cell first and keep the text of the page's relative links. The
mkdocs hook ``on_files`` adds the notebooks to the site as ``{lang}/notebooks/N-*.ipynb``
(beside the pages of their language: ``/notebooks/`` and ``/ja/notebooks/``);
``tests/test_course.py`` executes the same notebooks in a Jupyter kernel.
"""
import pathlib
import re

import jupytext
import nbformat

try:
    from mkdocs.plugins import event_priority
except ImportError:     # the tests make notebooks without mkdocs installed
    def event_priority(priority):
        return lambda f: f

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
LANGUAGES = ("en", "ja")

#: The first cell installs tinygrad_jp where it is missing. tinygrad_jp is not on PyPI:
#: it installs from the repository, either the checkout the notebook runs in (Jupyter
#: started inside the repository) or a copy of it uploaded next to the notebook (Colab: a
#: .zip of the repository or a tinygrad_jp wheel). Installed (the tests, a local venv): it
#: does nothing. Pure Python, so it runs in any kernel. {missing} is the message shown
#: when there is nothing to install from, in the page's language.
INSTALL = {
    "en": {
        "comment": (
            "# tinygrad_jp is not on PyPI: this cell installs it from the repository.\n"
            "# - Jupyter started inside the repository: nothing to do, just run the cell.\n"
            "# - Colab: upload the repository as a .zip (or a tinygrad_jp .whl) with the\n"
            "#   Files panel on the left, then run this cell.\n"
            "# Where tinygrad_jp is installed already, the cell does nothing.\n"),
        "missing": ("tinygrad_jp is not installed and there is no copy of the repository "
                    "here: upload the repository as a .zip (or a tinygrad_jp .whl) next to "
                    "this notebook, or start Jupyter inside the repository, and run this "
                    "cell again."),
    },
    "ja": {
        "comment": (
            "# tinygrad_jp は PyPI にはないので、このセルがリポジトリからインストールします。\n"
            "# - リポジトリの中で Jupyter を起動した場合: そのままこのセルを実行してください。\n"
            "# - Colab の場合: 左の「ファイル」からリポジトリの .zip (または tinygrad_jp の\n"
            "#   .whl) をアップロードしてから、このセルを実行してください。\n"
            "# tinygrad_jp がすでに入っていれば、このセルは何もしません。\n"),
        "missing": ("tinygrad_jp が入っておらず、ここにはリポジトリもありません。リポジトリの "
                    ".zip (または tinygrad_jp の .whl) をこのノートブックの隣にアップロードするか、"
                    "リポジトリの中で Jupyter を起動してから、"
                    "このセルをもう一度実行してください。"),
    },
}
INSTALL_CODE = (
    "import importlib.util, pathlib, subprocess, sys\n"
    "if importlib.util.find_spec(\"tinygrad_jp\") is None:\n"
    "    here = pathlib.Path.cwd()\n"
    "    checkout = [p for p in (here, *here.parents)\n"
    "                if (p / \"pyproject.toml\").is_file() and (p / \"tinygrad_jp\").is_dir()]\n"
    "    uploaded = sorted(here.glob(\"tinygrad*.whl\")) + sorted(here.glob(\"tinygrad*.zip\"))\n"
    "    if checkout:\n"
    "        target = [\"-e\", str(checkout[0])]\n"
    "    elif uploaded:\n"
    "        target = [str(uploaded[-1])]\n"
    "    else:\n"
    "        raise ModuleNotFoundError({missing!r})\n"
    "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", *target],\n"
    "                   check=True)\n"
    "    if checkout:\n"
    "        sys.path.insert(0, str(checkout[0]))   # importable in this kernel right away\n"
    "    importlib.invalidate_caches()\n"
    "%matplotlib inline")


def install_cell(lang):
    """The source of a notebook's first cell, in the language ``lang``."""
    text = INSTALL[lang]
    return text["comment"] + INSTALL_CODE.format(missing=text["missing"])


#: A relative link ``[text](target)``: it points nowhere once the notebook is downloaded
#: or opened in Colab, so the notebook keeps the text only.
_LINK = re.compile(r"\[([^\]]+)\]\((?!https?:)[^)\s]+\)")


def chapters(lang):
    """The chapter pages of one language, in course order."""
    return sorted((DOCS / lang / "course").glob("[0-9]-*.md"))


def to_notebook(page):
    """The notebook of one chapter page (an ``nbformat`` v4 notebook)."""
    page = pathlib.Path(page)
    lang = page.parent.parent.name
    nb = jupytext.reads(page.read_text(encoding="utf-8"), fmt="md")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith("%%"):
            # a ```sh block (a command to run in a terminal): jupytext makes it a %%sh
            # cell, which would run the full experiment; it stays text, as on the page
            magic, _, body = cell.source.partition("\n")
            cell = nb.cells[i] = nbformat.v4.new_markdown_cell(
                f"```{magic[2:].strip()}\n{body.rstrip()}\n```")
        if cell.cell_type == "markdown":
            cell.source = _LINK.sub(r"\1", cell.source)
    nb.cells.insert(0, nbformat.v4.new_code_cell(install_cell(lang)))
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


def notebook_text(page):
    return nbformat.writes(to_notebook(page)) + "\n"


@event_priority(-200)      # after mkdocs-static-i18n (-100), which handles files on disk only
def on_files(files, config):
    """mkdocs hook: add {lang}/notebooks/N-*.ipynb, generated from the chapter pages.

    The i18n plugin builds one language at a time (en at /, ja at /ja/): each build gets
    its language's notebooks, so a page's ``../notebooks/N-*.ipynb`` is the notebook in
    the page's language, at ``/notebooks/`` or ``/ja/notebooks/``."""
    from mkdocs.structure.files import File
    i18n = config.plugins.get("i18n")
    current = getattr(i18n, "current_language", None)
    default = getattr(i18n, "default_language", None)
    for lang in LANGUAGES if current is None else (current,):
        for page in chapters(lang):
            nb = File.generated(config, f"{lang}/notebooks/{page.stem}.ipynb",
                                content=notebook_text(page))
            if lang == default:
                nb.dest_uri = f"notebooks/{page.stem}.ipynb"
            files.append(nb)
    return files
