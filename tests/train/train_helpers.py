"""Small synthetic data and tiny models for the training-loop tests."""
import numpy as np

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn, optim
from tinygrad_jp.data import DataLoader, TensorDataset

N_FEATURES = 6
N_CLASSES = 3


def make_data(n=96, seed=0):
    """A linearly separable-ish 3-class problem: labels from two projections."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    y = ((x[:, 0] + x[:, 1] > 0).astype(np.int64)
         + (x[:, 2] - x[:, 3] > 0.8).astype(np.int64))
    return x, y


def make_model(dropout=0.2, seed=0):
    """Linear → ReLU → Dropout → Linear, initialised from ``seed``."""
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(N_FEATURES, 12), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(12, N_CLASSES))


def make_run(batch_size=16, n=96, lr=1e-2, scheduler=True, dropout=0.2, val=True,
             optimizer="adam"):
    """(model, optimizer, scheduler, train_loader, val_loader), identical on each call."""
    x, y = make_data(n)
    model = make_model(dropout)
    if optimizer == "adam":
        opt = optim.Adam(model.parameters(), lr=lr)
    else:
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7) if scheduler else None
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    valid = DataLoader(TensorDataset(x[:32], y[:32]), batch_size=16) if val else None
    return model, opt, sched, train, valid


def loss_fn(out, target):
    """The loss every test uses."""
    return F.cross_entropy(out, target)


def weights(model):
    """Copies of the model's state as NumPy arrays."""
    return {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}


def same_weights(a, b):
    """Bit-for-bit equality of two ``weights()`` dicts."""
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
