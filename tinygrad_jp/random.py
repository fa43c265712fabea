"""One global random number generator, so that `tg.manual_seed` makes every random
thing reproducible: initial weights, dropout masks, `tg.randn`, data shuffling and
augmentation all draw from it."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the global generator (like ``torch.manual_seed``) and return it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_rng():
    """The global ``numpy.random.Generator`` every random op draws from."""
    return _generator


def get_rng_state():
    """The generator's state as a JSON-serialisable dict (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
