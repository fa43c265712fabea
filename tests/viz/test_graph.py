"""draw_graph on plain tensors: the DOT source (nodes, edges, labels, colours), the
gradient-flow colouring, bad input, and real renders with `dot`."""
import os
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from test_graph_helpers import attr, find, find_one, grad_norm, parse

import tinygrad_jp as tg
from tinygrad_jp import viz
from tinygrad_jp.viz import graph as vg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def quiz(backward=True):
    """The curriculum's quiz: z = t², t = x + y, at x = 1, y = 2."""
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.tensor(2.0, requires_grad=True)
    x.name, y.name = "x", "y"
    t = x + y
    z = t ** 2
    z.name = "z"
    if backward:
        z.backward(retain_graph=True)
    return x, y, t, z


def mlp(act="relu", depth=2, std=None, seed=0, width=6):
    """A plain-tensor MLP: (x @ W + b).act() per layer, then the mean of squares."""
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = tg.Tensor(rng.standard_normal((4, width)).astype(np.float32))
    x.name = "x"
    params, h = {}, x
    for i in range(depth):
        s = std if std is not None else np.sqrt(2.0 / width)
        W = tg.Tensor((rng.standard_normal((width, width)) * s).astype(np.float32),
                      requires_grad=True)
        b = tg.zeros(width, requires_grad=True)
        params[f"W{i + 1}"], params[f"b{i + 1}"] = W, b
        h = getattr(h @ W + b, act)()
    loss = (h ** 2).mean()
    loss.name = "loss"
    return x, params, loss


# ---------------------------------------------------------------------------- structure
def test_quiz_nodes_edges_and_labels():
    x, y, t, z = quiz()
    g = viz.draw_graph(z, show_values=True, show_grads=True)
    assert isinstance(g, __import__("graphviz").Digraph)
    nodes, edges = parse(g.source)
    # x, y, AddBackward, the constant 2, PowBackward, z
    assert len(nodes) == 6 and len(edges) == 5
    ix, iy, iz = find_one(nodes, "x = 1"), find_one(nodes, "y = 2"), find_one(nodes, "z = 9")
    add, pw = find_one(nodes, "AddBackward"), find_one(nodes, "PowBackward")
    two = find_one(nodes, "2")
    assert {(s, d) for s, d, _ in edges} == {(ix, add), (iy, add), (add, pw), (two, pw),
                                              (pw, iz)}
    # dz/dx = dz/dy = 2(x + y) = 6
    assert "grad = 6" in nodes[ix][0] and "grad = 6" in nodes[iy][0]
    assert "scalar float32" in nodes[ix][0]


def test_kinds_have_distinct_shapes_and_colours():
    x, params, loss = mlp(depth=1)
    g = viz.draw_graph(loss, params=params)
    nodes, edges = parse(g.source)
    w, xi, out = find_one(nodes, "W1"), find_one(nodes, "x"), find_one(nodes, "loss")
    op = find_one(nodes, "MatMulBackward")
    two = find_one(nodes, "2")
    fills = {k: attr(nodes[k][1], "fillcolor") for k in (w, xi, out, op)}
    assert len(set(fills.values())) == 4
    assert fills[w] == vg._STYLE["param"]["fillcolor"]
    assert attr(nodes[op][1], "shape") == "box" and attr(nodes[w][1], "shape") == "ellipse"
    assert "dashed" in attr(nodes[xi][1], "style") and "dashed" in attr(nodes[two][1], "style")
    assert attr(nodes[out][1], "peripheries") == "2"
    # an input that requires grad but is not a parameter is a fourth colour
    x2 = tg.tensor([1.0, 2.0], requires_grad=True)
    n2, _ = parse(viz.draw_graph((x2 * x2).sum()).source)
    leaf = [k for k, (txt, _) in n2.items() if txt.startswith("(2,)")][0]
    assert attr(n2[leaf][1], "fillcolor") == vg._STYLE["leaf"]["fillcolor"]
    # edges from tensors that need no grad are dashed
    assert any(s == xi and "dashed" in a for s, _, a in edges)


def test_op_label_shows_output_shape_and_dtype():
    _, params, loss = mlp(depth=1)
    nodes, _ = parse(viz.draw_graph(loss, params=params).source)
    text = nodes[find_one(nodes, "MatMulBackward")][0]
    assert "→ (4, 6) float32" in text
    nodes, _ = parse(viz.draw_graph(loss, params=params, show_shapes=False).source)
    assert nodes[find_one(nodes, "MatMulBackward")][0] == "MatMulBackward"
    assert nodes[find_one(nodes, "W1")][0] == "W1"


def test_shared_input_is_drawn_once():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.name = "x"
    y = (x * x + x).sum()
    nodes, edges = parse(viz.draw_graph(y).source)
    ix = find_one(nodes, "x")
    mul, add = find_one(nodes, "MulBackward"), find_one(nodes, "AddBackward")
    assert [(s, d) for s, d, _ in edges if s == ix] == [(ix, mul), (ix, mul), (ix, add)]
    # a shared intermediate: one op box feeding two consumers
    t = x.exp()
    nodes, edges = parse(viz.draw_graph((t * t.sin()).sum()).source)
    exp = find_one(nodes, "ExpBackward")
    assert len([1 for s, _, _ in edges if s == exp]) == 2
    assert len(find(nodes, "ExpBackward")) == 1


def test_names_from_params_pairs_and_attribute():
    _, params, loss = mlp(depth=1)
    for p in (params, list(params.items()), iter(params.items())):
        nodes, _ = parse(viz.draw_graph(loss, params=p).source)
        assert find(nodes, "W1") and find(nodes, "b1")
    # without params: unnamed leaves show their shape; .name still names
    params["W1"].name = "weight"
    nodes, _ = parse(viz.draw_graph(loss).source)
    assert find(nodes, "weight") and not find(nodes, "b1")
    params["W1"].name = None
    with pytest.raises(TypeError, match="params"):
        viz.draw_graph(loss, params={"W": np.ones(3)})
    with pytest.raises(TypeError, match="params"):
        viz.draw_graph(loss, params=3)


def test_named_intermediate_and_show_intermediates():
    x, y, t, z = quiz()
    nodes, edges = parse(viz.draw_graph(z, params={"t": t}, show_values=True).source)
    it = find_one(nodes, "t = 3")
    add, pw = find_one(nodes, "AddBackward"), find_one(nodes, "PowBackward")
    pairs = {(s, d) for s, d, _ in edges}
    assert (add, it) in pairs and (it, pw) in pairs
    assert len(nodes) == 7
    # every op's output gets a node, except the one that is the drawn output
    _, params, loss = mlp(depth=2)
    n0, e0 = parse(viz.draw_graph(loss, params=params).source)
    n1, e1 = parse(viz.draw_graph(loss, params=params, show_intermediates=True).source)
    n_ops = sum(1 for txt, _ in n0.values() if txt.split("|")[0].endswith("Backward"))
    assert len(n1) == len(n0) + n_ops - 1 and len(e1) == len(e0) + n_ops - 1


def test_show_values_summarises_large_arrays():
    a = tg.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    a.name = "a"
    b = tg.Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b.name = "b"
    s = a.sum() + b.sum()
    s.backward(retain_graph=True)
    nodes, _ = parse(viz.draw_graph(s, show_values=True, show_grads=True).source)
    ta, tb = nodes[find_one(nodes, "a")][0], nodes[find_one(nodes, "b")][0]
    assert "mean 5.5" in ta and "grad norm 3.464" in ta   # ‖ones(3, 4)‖ = √12
    assert "[1, 2]" in tb and "grad [1, 1]" in tb


def test_show_saved_lists_saved_shapes_until_freed():
    a = tg.randn(2, 3, requires_grad=True)
    b = tg.randn(3, 4, requires_grad=True)
    y = (a @ b).sum()
    nodes, _ = parse(viz.draw_graph(y, show_saved=True).source)
    assert "saved (2, 3), (3, 4)" in nodes[find_one(nodes, "MatMulBackward")][0]
    y.backward()
    nodes, _ = parse(viz.draw_graph(y, show_saved=True).source)
    assert "saved" not in nodes[find_one(nodes, "MatMulBackward")][0]


def test_several_outputs_and_second_order_graph():
    x = tg.tensor(2.0, requires_grad=True)
    x.name = "x"
    y = x ** 3
    y.name = "y"
    (dy,) = tg.grad(y, x, create_graph=True)
    dy.name = "dy/dx"
    (d2y,) = tg.grad(dy, x, create_graph=True)
    d2y.name = "d2y/dx2"
    g = viz.draw_graph([y, dy, d2y], show_values=True)
    nodes, edges = parse(g.source)
    # 3x² = 12 and 6x = 12, each an output node of its own; x drawn once
    assert find(nodes, "y = 8") and find(nodes, "dy/dx = 12") and find(nodes, "d2y/dx2 = 12")
    assert len(find(nodes, "x = 2")) == 1
    outs = [k for k, (_, a) in nodes.items() if attr(a, "peripheries") == "2"]
    assert len(outs) == 3
    # the recorded backward of Pow is itself made of ops
    assert len(find(nodes, "MulBackward")) >= 2


def test_rankdir_and_title():
    _, _, _, z = quiz()
    g = viz.draw_graph(z, rankdir="LR", title="z = (x + y)²")
    assert "rankdir=LR" in g.source and "z = (x + y)²" in g.source


def test_deep_chain_is_walked_without_recursion():
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):   # far over Python's recursion limit of 1000
        y = y * 1.0
    nodes, edges = parse(viz.draw_graph(y, max_nodes=10_000).source)
    assert len(find(nodes, "MulBackward")) == 3000
    assert len(edges) == 1 + 3000 + 2999 + 1   # x→first, constants, chain, last→output


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, why", [
    (lambda: tg.tensor([1.0, 2.0], requires_grad=True), "leaf tensor"),
    (lambda: tg.tensor([1.0, 2.0]), "no grad_fn"),
    (lambda: tg.tensor([1, 2]), "cannot carry gradients"),
])
def test_tensor_without_graph_draws_one_node_and_says_why(make, why):
    t = make()
    g = viz.draw_graph(t)
    nodes, edges = parse(g.source)
    assert len(nodes) == 1 and not edges
    assert "No graph to draw" in g.source and why in g.source
    assert why in g.no_graph_reason


def test_no_grad_result_draws_one_node():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = (x * 2).sum()
    g = viz.draw_graph(y, title="under no_grad")
    nodes, edges = parse(g.source)
    assert len(nodes) == 1 and not edges
    assert "no_grad" in g.no_graph_reason and "under no_grad" in g.source


def test_unknown_color_by_and_rankdir_list_valid_values():
    _, _, _, z = quiz(backward=False)
    with pytest.raises(ValueError) as e:
        viz.draw_graph(z, color_by="magnitude")
    assert "'magnitude'" in str(e.value) and "'type'" in str(e.value) \
        and "'grad_norm'" in str(e.value)
    with pytest.raises(ValueError) as e:
        viz.draw_graph(z, rankdir="UP")
    assert all(r in str(e.value) for r in ("'TB'", "'BT'", "'LR'", "'RL'"))


def test_other_bad_arguments():
    _, _, _, z = quiz(backward=False)
    with pytest.raises(TypeError, match="Tensor"):
        viz.draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="group_by_module"):
        viz.draw_graph(z, max_depth=1)
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(z, max_nodes=0)
    with pytest.raises(ValueError, match="grad_range"):
        viz.draw_graph(z, color_by="grad_norm", grad_range=(1.0, 0.1))


def test_too_many_nodes_raises_with_a_hint_before_walking_everything():
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y.exp().log()
    with pytest.raises(ValueError) as e:
        viz.draw_graph(y, max_nodes=50)
    msg = str(e.value)
    assert "max_nodes=50" in msg and "group_by_module" in msg and "max_depth" in msg


# ---------------------------------------------------------------------------- gradient flow
def test_grad_norm_colours_quiz_and_leaves_grad_untouched():
    x, y, t, z = quiz(backward=False)
    g = viz.draw_graph(z, color_by="grad_norm")
    assert x.grad is None and y.grad is None      # computed aside, .grad untouched
    nodes, _ = parse(g.source)
    assert grad_norm(nodes, find_one(nodes, "x")) == pytest.approx(6)
    assert grad_norm(nodes, find_one(nodes, "AddBackward")) == pytest.approx(6)
    assert grad_norm(nodes, find_one(nodes, "PowBackward")) == pytest.approx(1)
    fx = attr(nodes[find_one(nodes, "x")][1], "fillcolor")
    fz = attr(nodes[find_one(nodes, "PowBackward")][1], "fillcolor")
    assert fx != fz and fx.startswith("#") and fz.startswith("#")
    assert 'cluster_legend' in g.source and "log scale" in g.source
    # the constant 2 has no gradient: white
    assert attr(nodes[find_one(nodes, "2")][1], "fillcolor") == vg._NONE_FILL
    # a second call gives the same picture (nothing accumulated, graph kept)
    assert viz.draw_graph(z, color_by="grad_norm").source == g.source


def test_grad_norm_does_not_fire_existing_hooks():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = (h * h).sum()
    viz.draw_graph(y, color_by="grad_norm")
    assert h.grad is None and x.grad is None
    y.backward()
    np.testing.assert_allclose(h.grad.data, [6.0, 12.0])


def test_grad_norm_after_backward_freed_the_graph_uses_leaf_grads():
    x, y, t, z = quiz(backward=False)
    z.backward()
    g = viz.draw_graph(z, color_by="grad_norm")
    nodes, _ = parse(g.source)
    assert grad_norm(nodes, find_one(nodes, "x")) == pytest.approx(6)
    assert attr(nodes[find_one(nodes, "PowBackward")][1], "fillcolor") == vg._NONE_FILL
    assert "retain_graph=True" in g.source and g.flow_note


def _layer_norms(g):
    nodes, _ = parse(g.source)
    ids = find(nodes, "MatMulBackward")   # post-order: first layer first
    return [grad_norm(nodes, k) for k in ids], nodes


def test_vanishing_gradient_is_visible_sigmoid_vs_relu_he():
    depth = 5
    _, ps, loss_s = mlp("sigmoid", depth=depth, std=0.01, width=16)
    _, pr, loss_r = mlp("relu", depth=depth, width=16)
    rng = (1e-9, 1.0)
    gs = viz.draw_graph(loss_s, params=ps, color_by="grad_norm", grad_range=rng)
    gr = viz.draw_graph(loss_r, params=pr, color_by="grad_norm", grad_range=rng)
    ns, nodes_s = _layer_norms(gs)
    nr, nodes_r = _layer_norms(gr)
    assert len(ns) == len(nr) == depth
    # sigmoid with N(0, 0.01): each layer multiplies by ≈ 0.25 · 0.01 · √16: it vanishes
    assert all(a < b for a, b in zip(ns[:-1], ns[1:], strict=True))
    assert ns[0] / ns[-1] < 1e-6
    # ReLU + He keeps the same order of magnitude
    assert 1e-2 < nr[0] / nr[-1] < 1e2
    # ... and the colours say so: the first sigmoid layer is darker than the first ReLU one
    def lum(nodes, k):
        r, g_, b = vg._hex_to_rgb(attr(nodes[k][1], "fillcolor"))
        return 0.299 * r + 0.587 * g_ + 0.114 * b
    first_s = find(nodes_s, "MatMulBackward")[0]
    first_r = find(nodes_r, "MatMulBackward")[0]
    assert lum(nodes_s, first_s) < lum(nodes_r, first_r)
    # the same fixed range gives the same legend
    legend = re.compile(r"legend \[label=(.*)\]")
    assert legend.search(gs.source).group(1) == legend.search(gr.source).group(1)


def test_colormap_and_scale():
    assert vg._colormap(0.0) == vg._VIRIDIS[0] and vg._colormap(1.0) == vg._VIRIDIS[-1]
    s = vg._scale([3e-7, 2.0], None)
    assert (s.lo, s.hi) == (-7, 1)
    assert s(1e-7) == 0 and s(10.0) == 1 and s(1e-3) == pytest.approx(0.5)
    assert vg._tick(-2) == "0.01" and vg._tick(-5) == "1e-5" and vg._tick(0) == "1"


def test_type_legend_lists_the_kinds_present():
    _, params, loss = mlp(depth=1)
    src = viz.draw_graph(loss, params=params, legend=True).source
    assert "parameter" in src and "constant / data" in src and "output" in src
    assert "input that requires grad" not in src


# ---------------------------------------------------------------------------- output
@needs_dot
def test_render_svg_parses_as_xml_and_contains_labels(tmp_path):
    x, y, t, z = quiz()
    g = viz.draw_graph(z, show_grads=True, color_by="grad_norm")
    path = viz.save(g, tmp_path / "quiz.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(el.text or "" for el in root.iter())
    for label in ("AddBackward", "PowBackward", "x", "y", "z", "grad = 6"):
        assert label in text
    # the returned object renders by itself too (what Jupyter and .render() use)
    assert g.pipe(format="svg").startswith(b"<?xml")
    out = g.render(tmp_path / "r", format="svg")
    ET.parse(out)


@needs_dot
def test_save_png_pdf_dot_and_from_a_tensor(tmp_path):
    _, _, _, z = quiz()
    assert (tmp_path / "a.png").exists() is False
    viz.save(z, tmp_path / "a.png", dpi=50, show_values=True)
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    viz.save(viz.draw_graph(z), str(tmp_path / "a.pdf"))
    assert (tmp_path / "a.pdf").read_bytes()[:4] == b"%PDF"
    viz.save(viz.draw_graph(z), tmp_path / "a.dot")
    assert (tmp_path / "a.dot").read_text().startswith("digraph")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    # not private like the temporary file it was written to
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.dot").stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_bad_format_and_type(tmp_path):
    _, _, _, z = quiz()
    with pytest.raises(ValueError, match="svg, png, pdf"):
        viz.save(viz.draw_graph(z), tmp_path / "a.jpeg2")
    with pytest.raises(ValueError, match="format"):
        viz.save(viz.draw_graph(z), tmp_path / "noext")
    with pytest.raises(TypeError):
        viz.save("not a graph", tmp_path / "a.svg")
    with pytest.raises(TypeError, match="drawing options"):
        viz.save(viz.draw_graph(z), tmp_path / "a.svg", show_values=True)


def test_without_dot_the_source_works_and_rendering_says_how_to_install(tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))   # an empty directory: no dot anywhere
    _, _, _, z = quiz()
    g = viz.draw_graph(z, color_by="grad_norm")
    assert "PowBackward" in g.source
    viz.save(g, tmp_path / "g.dot")             # the DOT text needs no dot
    for render in (lambda: viz.save(g, tmp_path / "g.svg"),
                   lambda: g.render(tmp_path / "g", format="png"),
                   lambda: g.pipe(format="svg")):
        with pytest.raises(viz.GraphvizNotFoundError) as e:
            render()
        msg = str(e.value)
        assert "apt-get install graphviz" in msg and "brew install graphviz" in msg \
            and "graphviz.org/download" in msg
        assert isinstance(e.value, RuntimeError)
    assert not (tmp_path / "g.svg").exists()


def test_public_names_are_exported_lazily():
    for name in ("draw_graph", "save", "draw_model", "trace", "record_modules",
                 "ModuleTrace", "GraphvizNotFoundError", "ComputationGraph"):
        assert name in viz.__all__ and getattr(viz, name).__doc__
