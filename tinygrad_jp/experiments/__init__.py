"""The DAY2 curriculum's experiments, one module each, run by ``tinygrad-jp experiment``.

>>> from tinygrad_jp import experiments
>>> experiments.names()                                        # doctest: +SKIP
['augmentation', 'batch-norm', 'cnn', 'gan', 'optimizers', 'overfitting', ...]
>>> experiments.run_experiment("weight-init", out_dir="runs/wi", smoke=True)  # doctest: +SKIP

See :mod:`tinygrad_jp.experiments.base` for the framework and how to add one.
"""
import importlib
import importlib.util

from .base import (Data, Effect, Experiment, OutputExistsError, Report, RunLockedError,
                   TrainResult, check_report, get,
                   load_data, names, plot_curve_grid, prepare_out_dir, register, registry,
                   run_experiment, train_classifier)

__all__ = ["Experiment", "Report", "Effect", "register", "get", "names", "registry",
           "run_experiment", "prepare_out_dir", "OutputExistsError", "RunLockedError", "Data",
           "load_data",
           "train_classifier", "TrainResult", "plot_curve_grid", "check_report"]

# One module per experiment (registered on import). A module listed here that does not
# exist yet is skipped, so experiments can land one by one; an existing module that
# fails to import is an error.
_MODULES = ("vanishing_gradient", "weight_init", "optimizers", "batch_norm", "overfitting",
            "cnn", "augmentation", "gan")

_loaded = False


def _load_all():
    global _loaded
    if _loaded:
        return
    for mod in _MODULES:
        full = f"{__name__}.{mod}"
        if importlib.util.find_spec(full) is not None:
            importlib.import_module(full)
    _loaded = True
