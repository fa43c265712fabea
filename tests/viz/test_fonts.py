"""Japanese text renders on a machine without a CJK font: matplotlib figures take the
IPAexGothic fallback of matplotlib-fontja, and Graphviz's dot finds the same font."""
import os
import shutil
import subprocess
import warnings

import pytest

import tinygrad_jp as tg
from tinygrad_jp import viz
from tinygrad_jp.viz import fonts


def test_the_font_ships_with_a_dependency():
    path = fonts.japanese_font_path()
    assert path is not None and os.path.getsize(path) > 1_000_000
    assert fonts.register_japanese_font() == "IPAexGothic"


def _missing_glyph_warnings(fig, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "f.png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_our_plots_draw_japanese_labels_without_missing_glyphs(tmp_path):
    fig = viz.plot_history({"train_acc": [0.1, 0.5], "val_acc": [0.2, 0.4]},
                           title="正解率の推移 (訓練とテスト)")
    assert _missing_glyph_warnings(fig, tmp_path) == []


def test_the_fallback_keeps_the_users_rcparams(tmp_path):
    import matplotlib
    before = list(matplotlib.rcParams["font.family"])
    viz.plot_history({"train_acc": [0.1, 0.5]}, title="損失", path=tmp_path / "a.png")
    assert list(matplotlib.rcParams["font.family"]) == before


def test_use_japanese_font_is_the_explicit_process_wide_switch(tmp_path):
    import matplotlib
    from matplotlib.figure import Figure
    with matplotlib.rc_context():
        families = viz.use_japanese_font()
        assert families[-1] == "IPAexGothic"
        fig = Figure()
        fig.add_subplot().set_title("勾配消失")
        assert _missing_glyph_warnings(fig, tmp_path) == []


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="needs fontconfig's fc-match")
def test_dot_sees_the_font_through_fontconfig():
    with fonts.dot_environment():
        out = subprocess.run(["fc-match", "-f", "%{family}", ":lang=ja"], capture_output=True,
                             text=True, env=dict(os.environ)).stdout
    assert "IPAexGothic" in out
    assert "FONTCONFIG_FILE" not in os.environ or os.environ["FONTCONFIG_FILE"] != \
        fonts._fontconfig_file()                     # the setting lasts one render only


@pytest.mark.skipif(shutil.which("dot") is None, reason="renders with Graphviz's `dot` "
                                                        "program, which is not installed")
def test_japanese_tensor_names_render_with_the_font(tmp_path):
    x = tg.tensor(1.0, requires_grad=True)
    x.name = "重み"
    y = x * 2
    y.name = "損失"
    g = viz.draw_graph(y)
    viz.save(g, tmp_path / "ja.png")
    plain = subprocess.run(["dot", "-Tpng"], input=g.source.encode(), capture_output=True,
                           env={k: v for k, v in os.environ.items()
                                if k != "FONTCONFIG_FILE"}).stdout
    ours = (tmp_path / "ja.png").read_bytes()
    assert ours[:4] == b"\x89PNG"
    # With IPAexGothic visible, fontconfig picks it for the Japanese glyphs: the
    # picture differs from dot's own unless the system already has a CJK font.
    system_has_cjk = shutil.which("fc-list") and subprocess.run(
        ["fc-list", ":lang=ja"], capture_output=True, text=True).stdout.strip()
    if not system_has_cjk:
        assert ours != plain


def test_figures_label_themselves_in_japanese_inside_language_ja():
    history = {"train_acc": [0.1, 0.5], "val_acc": [0.2, 0.4], "train_loss": [2.0, 1.0]}
    with viz.language("ja"):
        assert viz.current_language() == "ja"
        fig = viz.plot_history(history)
        grad = viz.plot_grad_norms({"1 層目": [1.0, 0.5]})
    acc = fig.axes[0]
    assert acc.get_xlabel() == "エポック" and acc.get_title() == "正解率"
    assert [t.get_text() for t in acc.get_legend().get_texts()] == ["訓練", "検証"]
    assert fig.axes[1].get_title() == "損失"
    assert grad.axes[0].get_ylabel() == "勾配のノルム"
    # Outside the block, and by default, English.
    assert viz.current_language() == "en"
    assert viz.plot_history(history).axes[0].get_xlabel() == "epoch"
    assert viz.label("accuracy", "正解率") == "accuracy"
    with pytest.raises(ValueError, match="'en' or 'ja'"):
        with viz.language("fr"):
            pass
