"""Graphs of nn models: module tracing, one cluster per module call, folding with
max_depth, gradient flow through layers, draw_model and the command line."""
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from test_graph_helpers import attr, clusters, find, find_one, grad_norm, parse

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn, viz
from tinygrad_jp.viz import graph as vg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


class SimpleConvNet(nn.Module):
    """The curriculum's SimpleConvNet, with its layer names."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 30, 5)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.affine1 = nn.Linear(4320, 100)
        self.relu2 = nn.ReLU()
        self.affine2 = nn.Linear(100, 10)

    def forward(self, x):
        x = self.flatten(self.pool1(self.relu1(self.conv1(x))))
        return self.affine2(self.relu2(self.affine1(x)))


class BasicBlock(nn.Module):
    """A ResNet basic block: conv-bn-relu-conv-bn, plus the skip connection, then relu."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


def make_mlp():
    """A small MLP (also the factory the command-line test loads by name)."""
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def cluster_of_label(cl, text):
    ids = [k for k, v in cl.items() if v["label"] == text]
    assert len(ids) == 1, (text, [v["label"] for v in cl.values()])
    return ids[0]


# ---------------------------------------------------------------------------- tracing
def test_mlp_one_cluster_per_module_and_loss_outside():
    model = make_mlp()
    x = tg.randn(5, 4)
    x.name = "x"
    with viz.record_modules(model) as rec:
        loss = F.cross_entropy(model(x), tg.tensor([0, 1, 2, 0, 1]))
    loss.name = "loss"
    g = viz.draw_graph(loss, group_by_module=model)   # the model finds its recording
    nodes, edges = parse(g.source)
    cl, where = clusters(g.source)
    root = cluster_of_label(cl, "Sequential")
    lin0, relu, lin2 = (cluster_of_label(cl, t) for t in ("0  Linear", "1  ReLU",
                                                           "2  Linear"))
    assert len(cl) == 4
    assert {cl[c]["parent"] for c in (lin0, relu, lin2)} == {root}
    # parameters are named from named_parameters() and sit in their module
    assert where[find_one(nodes, "0.weight")] == lin0
    assert where[find_one(nodes, "2.bias")] == lin2
    assert where[find_one(nodes, "ReluBackward")] == relu
    # the input and the loss were made outside the model
    assert where[find_one(nodes, "x")] is None and where[find_one(nodes, "loss")] is None
    loss_op = [k for k, (t, _) in nodes.items() if t.startswith("CrossEntropy")]
    assert len(loss_op) == 1 and where[loss_op[0]] is None
    # the hooks are gone after the block: another forward records nothing
    n_calls = len(rec.calls)
    model(x)
    assert len(rec.calls) == n_calls
    assert rec.module_of(loss.grad_fn) is None
    assert "ModuleTrace of Sequential" in repr(rec)
    # params renames a tensor; the model names the rest
    nodes, _ = parse(viz.draw_graph(loss, group_by_module=rec,
                                    params={"W_in": model[0].weight}).source)
    assert find(nodes, "W_in") and not find(nodes, "0.weight") and find(nodes, "0.bias")


def test_simple_conv_net_grouped_and_folded():
    tg.manual_seed(0)
    net = SimpleConvNet()
    tr = viz.trace(net, tg.randn(2, 1, 28, 28))
    assert tr.output.shape == (2, 10)
    g = tr.draw()
    nodes, edges = parse(g.source)
    cl, where = clusters(g.source)
    assert len(cl) == 8     # the net and its seven layers
    for op, label in (("Conv2dBackward", "conv1  Conv2d"), ("MaxPool2dBackward",
                                                           "pool1  MaxPool2d"),
                      ("LinearBackward", "affine1  Linear")):
        ids = find(nodes, op)
        assert cluster_of_label(cl, label) in {where[i] for i in ids}
    assert "(2, 30, 24, 24)" in nodes[find_one(nodes, "Conv2dBackward")][0]
    assert "(2, 30, 12, 12)" in nodes[find_one(nodes, "MaxPool2dBackward")][0]
    assert where[find_one(nodes, "affine1.weight")] == cluster_of_label(cl, "affine1  Linear")

    # max_depth=1: one box per layer, in a chain, with output shapes and parameter counts
    g1 = tr.draw(max_depth=1)
    n1, e1 = parse(g1.source)
    boxes = [k for k, (_, a) in n1.items() if attr(a, "fillcolor") ==
             vg._STYLE["module"]["fillcolor"]]
    assert len(boxes) == 7
    assert len(n1) == 7 + 2                 # + input and output
    assert len(e1) == 8
    conv = find_one(n1, "conv1")
    assert "780 params" in n1[conv][0] and "→ (2, 30, 24, 24)" in n1[conv][0]
    assert "432,100 params" in n1[find_one(n1, "affine1")][0]
    assert not find(n1, "conv1.weight")     # folded inside its box
    # max_depth=0: the whole model is one box
    n0, e0 = parse(tr.draw(max_depth=0).source)
    assert len(n0) == 3 and len(e0) == 2
    assert "SimpleConvNet" in n0[[k for k in n0 if k.startswith("m")][0]][0]


def test_resnet_basic_block_skip_add_shared_input_and_repeated_relu():
    tg.manual_seed(0)
    block = BasicBlock(3)
    x = tg.randn(2, 3, 6, 6)
    g = viz.draw_model(block, x)
    nodes, edges = parse(g.source)
    cl, where = clusters(g.source)
    root = cluster_of_label(cl, "BasicBlock")
    assert cluster_of_label(cl, "relu (call 2)  ReLU")
    assert len(find(nodes, "Conv2dBackward")) == 2
    # the skip add belongs to the block itself, not to a layer
    adds = [k for k in find(nodes, "AddBackward") if where[k] == root]
    assert len(adds) == 1
    # the input is drawn once, outside the block, feeding conv1 and the skip add
    inp = find_one(nodes, "input")
    assert where[inp] is None
    targets = {d for s, d, _ in edges if s == inp}
    assert adds[0] in targets and len(targets) == 2
    assert x.name is None     # the label is drawing-only; the tensor is not renamed
    # BatchNorm's affine parameters are in their module
    assert where[find_one(nodes, "bn2.weight")] == cluster_of_label(cl, "bn2  BatchNorm2d")


def test_nested_modules_become_nested_clusters_and_fold_by_depth():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Linear(4, 4), nn.Tanh()),
                          nn.Linear(4, 1))
    tr = viz.trace(model, tg.randn(2, 3))
    cl, where = clusters(tr.draw().source)
    inner = cluster_of_label(cl, "1.0  Linear")
    assert cl[cl[inner]["parent"]]["label"] == "1  Sequential"
    n2, _ = parse(tr.draw(max_depth=2).source)
    assert find(n2, "1.0") and find(n2, "1.1") and not find(n2, "1")
    n1, _ = parse(tr.draw(max_depth=1).source)
    assert find(n1, "1") and not find(n1, "1.0")
    assert tr.module_of(tr.output.grad_fn) == "2"


def test_group_by_module_errors():
    model = make_mlp()
    other = make_mlp()
    y = model(tg.randn(2, 4)).sum()
    with pytest.raises(ValueError, match="none of the ops .* made by a module of that"):
        viz.draw_graph(y, group_by_module=other)
    with tg.no_grad():
        other(tg.randn(2, 4))
    with pytest.raises(ValueError, match="none of the ops"):
        viz.draw_graph(y, group_by_module=other)
    with pytest.raises(TypeError, match="nn.Module"):
        viz.draw_graph(y, group_by_module=42)
    with pytest.raises(TypeError, match="nn.Module"), pytest.warns(DeprecationWarning):
        viz.record_modules(lambda x: x)


def test_grouping_works_after_an_ordinary_forward_pass():
    """No recording step: every node knows the module call that made it (torchviz-style
    drawing after the fact), and the result equals the old recorded one."""
    tg.manual_seed(0)
    model = make_mlp()
    x = tg.randn(3, 4)
    loss = F.cross_entropy(model(x), tg.tensor([0, 1, 2]))
    after = viz.draw_graph(loss, group_by_module=model).source
    with pytest.warns(DeprecationWarning, match="no longer needed"):
        with viz.record_modules(model) as rec:
            loss2 = F.cross_entropy(model(x), tg.tensor([0, 1, 2]))
    assert viz.draw_graph(loss2, group_by_module=rec).source == after
    cl, where = clusters(after)
    lin0 = cluster_of_label(cl, "0  Linear")
    assert len(cl) == 4 and cl[lin0]["parent"] == cluster_of_label(cl, "Sequential")
    nodes, _ = parse(after)
    assert where[find_one(nodes, "0.weight")] == lin0
    tr = viz.ModuleTrace(model, loss)
    assert tr.module_of(loss.grad_fn) is None           # the loss is outside the model
    assert {c.name for c in tr.calls} >= {"", "0", "1", "2"}


def test_a_module_called_twice_and_a_model_inside_a_wrapper():
    tg.manual_seed(0)
    act = nn.ReLU()
    lin = nn.Linear(4, 4)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.act = lin, act

        def forward(self, x):
            return self.act(self.lin(self.act(x)))

    inner = Twice()
    wrapper = nn.Sequential(inner)              # the drawn model is called inside another
    out = wrapper(tg.randn(2, 4, requires_grad=True)).sum()
    tr = viz.ModuleTrace(inner, out)
    titles = sorted(c.title() for c in tr.calls)
    assert titles == ["Twice", "act", "act (call 2)", "lin"]
    assert all(c.parent is None for c in tr.calls if c.name == "")
    assert all(c.parent.name == "" for c in tr.calls if c.name)


def test_no_graph_no_record():
    model = make_mlp()
    with tg.no_grad():
        y = model(tg.randn(2, 4))
    assert y.grad_fn is None
    from tinygrad_jp.autograd import current_module_call
    assert current_module_call() is None        # nothing left behind after calls
    with pytest.raises(ValueError, match="max_depth"):
        viz.draw_model(model, input_size=(2, 4), max_depth=-1)
    with pytest.raises(ValueError, match="input"):
        viz.draw_model(model)


def test_max_nodes_hint_when_grouped():
    tg.manual_seed(0)
    tr = viz.trace(SimpleConvNet(), tg.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="max_depth"):
        tr.draw(max_nodes=5)
    assert len(parse(tr.draw(max_nodes=5, max_depth=0).source)[0]) <= 5


# ---------------------------------------------------------------------------- gradient flow
def _stack(act, init, depth=6, width=20, seed=0):
    tg.manual_seed(seed)
    layers = []
    for _ in range(depth):
        lin = nn.Linear(width, width)
        with tg.no_grad():
            init(lin.weight)
            nn.init.zeros_(lin.bias)
        layers += [lin, act()]
    return nn.Sequential(*layers)


def test_vanishing_gradient_through_sigmoid_layers_vs_relu_he():
    x = tg.Tensor(np.random.default_rng(0).standard_normal((8, 20)).astype(np.float32))
    sig = _stack(nn.Sigmoid, lambda w: nn.init.normal_(w, 0.0, 0.01))
    relu = _stack(nn.ReLU, lambda w: nn.init.kaiming_normal_(w))
    views = {}
    for key, model in (("sigmoid", sig), ("relu", relu)):
        with viz.record_modules(model):
            loss = (model(x) ** 2).mean()
        g = viz.draw_graph(loss, group_by_module=model, max_depth=1, color_by="grad_norm",
                           grad_range=(1e-12, 1.0))
        nodes, _ = parse(g.source)
        # the Linear boxes, first layer first, and their gradient norms
        boxes = {nodes[k][0].split("|")[0]: k for k in nodes if k.startswith("m")}
        views[key] = [grad_norm(nodes, boxes[str(i)]) for i in range(0, 12, 2)]
        assert "log scale" in g.source and all(p.grad is None for p in model.parameters())
    s, r = views["sigmoid"], views["relu"]
    assert all(a < b for a, b in zip(s[:-1], s[1:], strict=True))
    assert s[0] / s[-1] < 1e-8          # vanished over five layers
    assert 1e-2 < r[0] / r[-1] < 1e2    # He keeps the scale


@needs_dot
def test_render_grouped_svg_parses_and_has_module_labels(tmp_path):
    tg.manual_seed(0)
    g = viz.draw_model(BasicBlock(2), input_size=(1, 2, 4, 4), color_by="grad_norm")
    root = ET.parse(viz.save(g, tmp_path / "block.svg")).getroot()
    text = " ".join(el.text or "" for el in root.iter())
    for label in ("BasicBlock", "conv1", "bn1", "Conv2dBackward", "relu (call 2)"):
        assert label in text


def test_command_line_draws_a_factory(tmp_path, capsys):
    from tinygrad_jp.app import graph_cli       # python -m tinygrad_jp.viz
    out = tmp_path / "mlp.dot"
    assert graph_cli.main(["test_graph_modules:make_mlp", "--input-size", "2", "4", "-o",
                           str(out), "--max-depth", "1"]) == 0
    nodes, edges = parse(out.read_text())
    assert find(nodes, "0") and find(nodes, "2") and len(edges) == 4
    assert "wrote" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown model"):
        graph_cli._load_model("NoSuchNet")


def test_module_calls_make_no_reference_cycles():
    """The record of a module call holds its tensors weakly: a step's activations are
    freed as soon as the step's tensors go, without waiting for the cyclic collector
    (a strong reference made SimpleConvNet's train step a third slower)."""
    import gc
    import weakref
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    gc.collect()
    gc.disable()
    try:
        x = tg.randn(3, 4)
        out = model(x)
        out_ref, node_ref = weakref.ref(out), weakref.ref(out.grad_fn)
        out.sum().backward()
        del out
        assert out_ref() is None and node_ref() is None
    finally:
        gc.enable()
