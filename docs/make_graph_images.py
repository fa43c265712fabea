"""Regenerate the pictures of docs/{en,ja}/graph.md: ``python docs/make_graph_images.py``.

Writes docs/images/graph_*.png and .svg (needs Graphviz's ``dot``). Every picture is
drawn with tinygrad_jp.viz exactly as the page shows the code.
"""
import os
import sys

import numpy as np

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import models, nn, viz

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")


def write(name, g, dpi=96):
    for ext in ("svg", "png"):
        viz.save(g, os.path.join(OUT, f"graph_{name}.{ext}"), dpi=dpi if ext == "png" else None)
    print("wrote", f"graph_{name}.png/.svg")


def quiz():
    # z = t², t = x + y; after backward, dz/dx = dz/dy = 2(x + y) = 6
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.tensor(2.0, requires_grad=True)
    x.name, y.name = "x", "y"
    t = x + y
    z = t ** 2
    z.name = "z"
    z.backward()
    write("quiz", viz.draw_graph(z, params={"t": t}, show_values=True, show_grads=True))


def mlp():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
    x = tg.randn(32, 784)
    x.name = "images"
    labels = tg.randint(0, 10, (32,))
    loss = F.cross_entropy(model(x), labels)
    loss.name = "loss"
    write("mlp", viz.draw_graph(loss, group_by_module=model, legend=True))


def simple_convnet():
    tg.manual_seed(0)
    net = models.SimpleConvNet()
    x = tg.randn(8, 1, 28, 28)
    x.name = "images"
    labels = tg.randint(0, 10, (8,))
    loss = F.cross_entropy(net(x), labels)
    loss.name = "loss"
    write("simple_convnet", viz.draw_graph(loss, group_by_module=net))
    write("simple_convnet_folded", viz.draw_graph(loss, group_by_module=net, max_depth=1))


def resnet_block():
    tg.manual_seed(0)
    block = models.BasicBlock(16, 16)
    # inside a network the block's input comes from earlier layers and carries a
    # gradient, so the skip connection is drawn as a solid edge
    x = tg.randn(8, 16, 14, 14, requires_grad=True)
    x.name = "x"
    write("resnet_block", viz.draw_model(block, x))


def create_graph():
    # backward(create_graph=True) records the backward pass: x.grad = 2·t is a graph
    # that reuses t = x + y of the forward pass
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.tensor(2.0, requires_grad=True)
    x.name, y.name = "x", "y"
    t = x + y
    z = t ** 2
    z.name = "z"
    z.backward(create_graph=True)
    x.grad.name = "x.grad"
    write("create_graph", viz.draw_graph([z, x.grad], params={"t": t}, show_values=True))


def second_order():
    x = tg.tensor(2.0, requires_grad=True)
    x.name = "x"
    y = x ** 3
    y.name = "y"
    (dy,) = tg.grad(y, x, create_graph=True)     # 3x² = 12, itself a graph
    dy.name = "dy/dx"
    (d2y,) = tg.grad(dy, x, create_graph=True)   # 6x = 12
    d2y.name = "d²y/dx²"
    write("second_order", viz.draw_graph([y, dy, d2y], show_values=True))


def grad_flow():
    # The curriculum's vanishing-gradient experiment: 5 sigmoid layers with N(0, 0.01²)
    # weights, against ReLU with He initialisation. Same input, same colour scale.
    x = tg.Tensor(np.random.default_rng(0).standard_normal((64, 100)).astype(np.float32))
    x.name = "x"
    for key, act, init in (
            ("sigmoid", nn.Sigmoid, lambda w: nn.init.normal_(w, 0.0, 0.01)),
            ("relu_he", nn.ReLU, lambda w: nn.init.kaiming_normal_(w))):
        tg.manual_seed(0)
        layers = []
        for _ in range(5):
            lin = nn.Linear(100, 100)
            with tg.no_grad():
                init(lin.weight)
                nn.init.zeros_(lin.bias)
            layers += [lin, act()]
        model = nn.Sequential(*layers)
        loss = (model(x) ** 2).mean()
        loss.name = "loss"
        g = viz.draw_graph(loss, group_by_module=model, max_depth=1, color_by="grad_norm",
                           grad_range=(1e-10, 1.0), show_shapes=False)
        write(f"grad_flow_{key}", g)


def main():
    os.makedirs(OUT, exist_ok=True)
    for make in (quiz, mlp, simple_convnet, resnet_block, create_graph, second_order,
                 grad_flow):
        make()
    return 0


if __name__ == "__main__":
    sys.exit(main())
