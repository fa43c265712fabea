"""Japanese text in plots and graphs, with no system font to install.

The course is Japanese, so labels and tensor names often are too. A machine without a
CJK font draws them as empty boxes. The ``matplotlib-fontja`` package (a dependency)
ships the IPAexGothic font; this module hands that font to matplotlib and to Graphviz as
a *fallback*: characters the usual font has keep their look, the others come from
IPAexGothic.

Nothing here changes a process-wide setting behind the user's back:

* our plotting functions give the fallback to the texts of the figures they make
  (:func:`apply_fallback`);
* :func:`use_japanese_font` is the one explicit call that sets it for every figure
  (matplotlib's ``rcParams``), for learners' own ``plt`` code;
* Graphviz's ``dot`` is told where the font is through a fontconfig file for the
  duration of one render (:func:`dot_environment`).
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import shutil
import tempfile

__all__ = ["JAPANESE_FONT", "japanese_font_path", "register_japanese_font",
           "use_japanese_font", "apply_fallback", "dot_environment"]

JAPANESE_FONT = "IPAexGothic"
_FONT_FILE = "ipaexg.ttf"
# Where a system's own fontconfig file usually is (Debian, Homebrew, MacPorts, conda).
_SYSTEM_FONTS_CONF = ("/etc/fonts/fonts.conf", "/opt/homebrew/etc/fonts/fonts.conf",
                      "/usr/local/etc/fonts/fonts.conf", "/opt/local/etc/fonts/fonts.conf")


def japanese_font_path() -> str | None:
    """The IPAexGothic file that ``matplotlib-fontja`` ships, or None without it.

    Found without importing the package: importing it would switch every matplotlib
    figure of the process to that font."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "fonts", _FONT_FILE)
        if os.path.isfile(path):
            return path
    return None


@functools.lru_cache(maxsize=None)
def register_japanese_font() -> str | None:
    """Make matplotlib know IPAexGothic (once per process); returns its family name,
    or None when the font is not installed."""
    path = japanese_font_path()
    if path is None:
        return None
    from matplotlib import font_manager
    font_manager.fontManager.addfont(path)
    return JAPANESE_FONT


def _with_fallback(families):
    families = [families] if isinstance(families, str) else list(families)
    return families if JAPANESE_FONT in families else families + [JAPANESE_FONT]


def use_japanese_font():
    """Let every matplotlib figure of this process draw Japanese: IPAexGothic becomes the
    fallback after the current ``font.family``. An explicit, process-wide call (like
    ``matplotlib.rc``), for your own ``plt`` code; tinygrad_jp's plots need no call.
    Returns the font family list, or raises ``RuntimeError`` without the font."""
    if register_japanese_font() is None:
        raise RuntimeError("use_japanese_font: the IPAexGothic font was not found; install "
                           "it with `pip install matplotlib-fontja`")
    import matplotlib
    matplotlib.rcParams["font.family"] = _with_fallback(matplotlib.rcParams["font.family"])
    return list(matplotlib.rcParams["font.family"])


def apply_fallback(fig):
    """Give every text of ``fig`` that is not plain ASCII the Japanese fallback font.
    Returns ``fig``. Without the font the figure is left as it is."""
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_text")
                                    and hasattr(a, "set_fontfamily"))
             if not t.get_text().isascii()]
    if texts and register_japanese_font() is not None:
        for t in texts:
            t.set_fontfamily(_with_fallback(t.get_fontfamily()))
    return fig


@functools.lru_cache(maxsize=None)
def _fontconfig_file() -> str | None:
    """A fontconfig file: the system's configuration plus the folder of IPAexGothic."""
    path = japanese_font_path()
    if path is None:
        return None
    includes = [os.environ["FONTCONFIG_FILE"]] if os.environ.get("FONTCONFIG_FILE") else \
        [c for c in _SYSTEM_FONTS_CONF if os.path.isfile(c)]
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
             "<fontconfig>"]
    lines += [f'  <include ignore_missing="yes">{_xml(c)}</include>' for c in includes]
    lines += [f"  <dir>{_xml(os.path.dirname(path))}</dir>",
              '  <cachedir prefix="xdg">fontconfig</cachedir>', "</fontconfig>", ""]
    folder = tempfile.mkdtemp(prefix="tinygrad_jp-fonts-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    conf = os.path.join(folder, "fonts.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return conf


def _xml(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@contextlib.contextmanager
def dot_environment():
    """While the block runs, Graphviz's ``dot`` (a subprocess that inherits the
    environment) finds IPAexGothic through ``FONTCONFIG_FILE``. The graphviz package's
    render calls take no environment of their own, hence this short-lived setting."""
    conf = _fontconfig_file()
    if conf is None:
        yield
        return
    old = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = conf
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("FONTCONFIG_FILE", None)
        else:
            os.environ["FONTCONFIG_FILE"] = old
