"""Helpers for the model tests: parameter counts, a few plain SGD steps, torch copies."""
import numpy as np

import tinygrad_jp as tg


def n_params(model, trainable_only=False):
    """Number of parameter elements (optionally only those with requires_grad)."""
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


def sgd_losses(model, loss_fn, steps=5, lr=0.05):
    """Run ``steps`` plain SGD updates (p -= lr·grad under no_grad); return the losses
    measured before each update and one after the last."""
    losses = []
    params = [p for p in model.parameters() if p.requires_grad]
    for _ in range(steps):
        for p in params:
            p.grad = None
        loss = loss_fn()
        losses.append(loss.item())
        loss.backward()
        with tg.no_grad():
            for p in params:
                if p.grad is not None:
                    p.data -= lr * p.grad.data
    with tg.no_grad():
        losses.append(loss_fn().item())
    return losses


def linear_params(i, o, bias=True):
    return i * o + (o if bias else 0)


def conv_params(cin, cout, k, bias=True):
    return cin * cout * k * k + (cout if bias else 0)


def copy_into_torch(model, torch_model):
    """Load our state_dict into a torch module with the same keys (strict)."""
    import torch
    sd = {k: torch.from_numpy(np.array(v.data if hasattr(v, "data") else v))
          for k, v in model.state_dict().items()}
    torch_model.load_state_dict(sd, strict=True)
    return torch_model


def state_shapes(model):
    return {k: tuple(np.shape(v.data if hasattr(v, "data") else v))
            for k, v in model.state_dict().items()}


def torch_state_shapes(torch_model):
    return {k: tuple(v.shape) for k, v in torch_model.state_dict().items()}
