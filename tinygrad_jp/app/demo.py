"""``tinygrad-jp demo`` (``python -m tinygrad_jp demo``): a ten-second autograd demo on
NumPy alone, a network trained with nothing but tensors, ``backward`` and ``no_grad``."""


def demo(steps=300, seed=0):
    """Train a 2-32-3 network on three spirals with plain tensors and print the loss."""
    import numpy as np

    import tinygrad_jp as tg

    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n = 100
    radius = np.tile(np.linspace(0.05, 1.0, n), 3)
    labels = np.repeat(np.arange(3), n)
    angle = labels * 2 * np.pi / 3 + radius * 4 + rng.normal(0, 0.2, 3 * n)
    x = tg.tensor(np.stack([radius * np.sin(angle), radius * np.cos(angle)], 1))
    onehot = tg.tensor(np.eye(3)[labels])

    w1 = (tg.randn(2, 32) * np.sqrt(2 / 2)).requires_grad_()
    b1 = tg.zeros(32, requires_grad=True)
    w2 = (tg.randn(32, 3) * np.sqrt(2 / 32)).requires_grad_()
    b2 = tg.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]
    print("training a 2-32-3 network on three spirals (autograd demo)")
    for step in range(steps + 1):
        logits = (x @ w1 + b1).relu() @ w2 + b2
        loss = -(logits.log_softmax(dim=1) * onehot).sum(dim=1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p -= 1.0 * p.grad
        if step % 50 == 0:
            accuracy = (logits.argmax(dim=1).numpy() == labels).mean()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {accuracy:.2f}")
    return loss.item()
