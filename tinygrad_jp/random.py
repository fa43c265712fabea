"""One global random number generator, so that `tg.manual_seed` makes every random
thing reproducible: initial weights, dropout masks, `tg.randn`, data shuffling and
augmentation all draw from it."""
import contextlib

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the global generator (like ``torch.manual_seed``) and return it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    from . import devices
    if devices._cuda is not None:       # the GPU's generator too, once CUDA is in use
        devices._cuda.random.seed(int(seed) % 2 ** 32)
    return _generator


def get_rng():
    """The global ``numpy.random.Generator`` every random op draws from."""
    return _generator


@contextlib.contextmanager
def using_generator(generator):
    """Within the block, every random op draws from ``generator`` (a
    ``numpy.random.Generator``); the global generator is put back afterwards, its
    state untouched. The ``DataLoader`` loads each batch this way, so that random
    per-sample transforms draw the same numbers in the main process and in a worker."""
    global _generator
    saved = _generator
    _generator = generator
    try:
        yield generator
    finally:
        _generator = saved


def get_rng_state():
    """The generator's state as a JSON-serialisable dict (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state


def multinomial(weights, num_samples, replacement=False):
    """Draw ``num_samples`` category indices per row of ``weights`` (an array of shape
    ``(n,)`` or ``(rows, n)`` of non-negative weights, not necessarily normalised), as
    ``torch.multinomial``. Checks are the caller's; this is the sampling.

    With replacement: inverse-CDF sampling, all rows in one ``searchsorted`` (row r's
    CDF is shifted into [r, r + 1], so the rows line up as one increasing array).
    Without: the Gumbel-top-k trick: the k largest of log wᵢ + Gumbel noise are a draw
    of k distinct categories with the probabilities of sampling one by one.
    """
    p = np.asarray(weights, dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1])
    n = rows.shape[1]
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        offsets = np.arange(rows.shape[0])[:, None]
        u = _generator.random((rows.shape[0], num_samples))
        pos = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(), side="right")
        idx = np.minimum(pos.reshape(u.shape) - offsets * n, n - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + _generator.gumbel(size=rows.shape)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return idx.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64)
