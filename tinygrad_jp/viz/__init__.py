"""tinygrad_jp.viz: computation graphs (graphviz) and training plots (matplotlib).

Names are loaded on first use, so ``import tinygrad_jp.viz`` stays cheap and the graph
part works without matplotlib being imported.
"""
import importlib

_GRAPH_NAMES = ("draw_graph", "save", "draw_model", "trace", "record_modules", "ModuleTrace",
                "ComputationGraph", "GraphvizNotFoundError")
_FONT_NAMES = ("use_japanese_font", "japanese_font_path")
_PLOT_NAMES = ("plot_history", "plot_activation_histograms", "plot_grad_norms",
               "plot_optimizer_paths", "plot_image_grid", "plot_filters", "language",
               "current_language", "label")


def __getattr__(name):
    if name in _GRAPH_NAMES:
        return getattr(importlib.import_module(".graph", __name__), name)
    if name in _PLOT_NAMES:
        return getattr(importlib.import_module(".plots", __name__), name)
    if name in _FONT_NAMES:
        return getattr(importlib.import_module(".fonts", __name__), name)
    raise AttributeError(f"module 'tinygrad_jp.viz' has no attribute {name!r}")


__all__ = list(_GRAPH_NAMES + _PLOT_NAMES + _FONT_NAMES)
