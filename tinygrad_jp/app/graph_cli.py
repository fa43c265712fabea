"""``python -m tinygrad_jp.viz MODEL --input-size 1 1 28 28 -o graph.svg``: draw a model's
computation graph, grouped by module, from the command line (``tinygrad_jp/viz/__main__.py``
launches it). It lives in the application so that ``viz`` never imports ``models``.
"""
import argparse
import importlib

from ..viz.graph import RANKDIRS, draw_model, save


def _load_model(spec):
    """``'package.module:factory'`` or a name in ``tinygrad_jp.models``."""
    if ":" in spec:
        mod_name, _, attr = spec.partition(":")
        obj = importlib.import_module(mod_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    else:
        models = importlib.import_module("tinygrad_jp.models")
        # callables only: 'LeNet' is the class, not the module models.lenet
        table = {k.lower(): k for k in dir(models)
                 if not k.startswith("_") and callable(getattr(models, k))}
        key = spec.lower().replace("-", "").replace("_", "")
        match = [v for k, v in table.items() if k.replace("_", "") == key]
        if not match:
            raise ValueError(f"unknown model {spec!r}; give a name from tinygrad_jp.models "
                             "or 'package.module:factory'")
        obj = getattr(models, match[0])
    if isinstance(obj, type) or not hasattr(obj, "named_modules"):
        obj = obj()   # a class or a factory function
    return obj


def main(argv=None):
    """``python -m tinygrad_jp.viz MODEL --input-size 1 1 28 28 -o graph.svg``.

    MODEL is a class in ``tinygrad_jp.models`` (``SimpleConvNet``) or
    ``package.module:factory`` (a callable returning a module). Returns the exit status.
    """
    p = argparse.ArgumentParser(prog="python -m tinygrad_jp.viz",
                                description="Draw a model's computation graph, grouped by "
                                            "module.")
    p.add_argument("model", help="a class in tinygrad_jp.models, or package.module:factory")
    p.add_argument("--input-size", type=int, nargs="+", required=True,
                   help="input shape including the batch dimension, e.g. 1 1 28 28")
    p.add_argument("-o", "--out", default="graph.svg",
                   help="output file (.svg, .png, .pdf, .dot); default graph.svg")
    p.add_argument("--max-depth", type=int, default=None,
                   help="fold modules deeper than this into one box (1: one box per layer)")
    p.add_argument("--rankdir", default="TB", choices=RANKDIRS)
    p.add_argument("--grad-norm", action="store_true",
                   help="shade by gradient norm of the output's sum")
    args = p.parse_args(argv)
    model = _load_model(args.model)
    g = draw_model(model, input_size=tuple(args.input_size), max_depth=args.max_depth,
                   rankdir=args.rankdir, color_by="grad_norm" if args.grad_norm else None)
    save(g, args.out)
    print(f"wrote {args.out}")
    return 0
