"""The curriculum's update rules, written in plain NumPy as the seeds write them, beside
the optimizer classes: 50 steps on the same float64 problem, agreeing to 1e-6 (most to
rounding). Each test names the arguments that reproduce the textbook; docs/en/optim.md
has the same mapping as tables.
"""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import optim
from tinygrad_jp.optim.curriculum import textbook_adam_eps

STEPS = 50
A = np.array([[1.0, 0.2, 3.0], [0.5, 2.0, 0.05]])  # anisotropic curvature
TARGET = np.array([[0.3, -1.0, 2.0], [1.0, 0.0, -0.5]])
START = np.array([[-1.0, 1.5, 0.5], [2.0, -2.0, 1.0]])


def energy(w):
    """E(w) = Σ ½ a (w − t)² + ¼ (w − t)⁴: quadratic near the minimum, steep far away."""
    d = w - TARGET
    return (A * d * d * 0.5 + d ** 4 * 0.25).sum()


def grad_E(w):
    d = w - TARGET
    return A * d + d ** 3


def run_class(cls, steps=STEPS, before_step=None, **kwargs):
    """Trajectory of the optimizer class, gradients from autograd."""
    w = tg.Tensor(START.copy(), requires_grad=True)
    opt = cls([w], **kwargs)
    path = [w.data.copy()]
    for t in range(1, steps + 1):
        opt.zero_grad()
        energy(w).backward()
        if before_step is not None:
            before_step(opt, t)
        opt.step()
        path.append(w.data.copy())
    return np.array(path)


def run_rule(rule, steps=STEPS):
    """Trajectory of a textbook rule ``rule(w, grad, state, t) -> w`` in NumPy."""
    w = START.copy()
    state = {}
    path = [w.copy()]
    for t in range(1, steps + 1):
        w = rule(w, grad_E(w), state, t)
        path.append(w.copy())
    return np.array(path)


def assert_agree(ours, textbook, atol=1e-6):
    assert np.abs(ours[-1] - ours[0]).max() > 0.1, "the problem should move the weights"
    np.testing.assert_allclose(ours, textbook, rtol=0, atol=atol)


# ---------------------------------------------------------------- Momentum
def momentum_rule(lr, mu):
    """Seed 001 / ゼロつく: V = μV − ε∇E;  w = w + V."""
    def rule(w, g, s, t):
        s["v"] = mu * s.get("v", 0.0) - lr(t) * g
        return w + s["v"]
    return rule


def test_momentum_is_sgd_with_momentum():
    """PyTorch keeps b = μb + ∇E and steps w −= εb. With V = −εb:
    V_t = −ε(μ b_{t−1} + ∇E) = μ V_{t−1} − ε∇E, the textbook's rule, exactly (ε fixed)."""
    ours = run_class(optim.SGD, lr=0.01, momentum=0.9)
    textbook = run_rule(momentum_rule(lambda t: 0.01, 0.9))
    assert_agree(ours, textbook, atol=1e-12)


def test_momentum_forms_differ_once_the_learning_rate_changes():
    """The textbook's V carries the old ε inside it; PyTorch applies the new lr to the
    whole buffer. A halving of the rate at step 25 separates the two paths."""
    def halve(opt, t):
        opt.param_groups[0]["lr"] = 0.01 if t <= 25 else 0.005
    ours = run_class(optim.SGD, lr=0.01, momentum=0.9, before_step=halve)
    textbook = run_rule(momentum_rule(lambda t: 0.01 if t <= 25 else 0.005, 0.9))
    np.testing.assert_allclose(ours[:26], textbook[:26], atol=1e-12)
    assert np.abs(ours[-1] - textbook[-1]).max() > 1e-3


# ---------------------------------------------------------------- AdaGrad
def adagrad_rule(lr, theta, h0):
    """Seed 001: h_0 = h0; h += (∇E)²; w −= ε ∇E / (√h + θ)."""
    def rule(w, g, s, t):
        s["h"] = s.get("h", h0) + g * g
        return w - lr * g / (np.sqrt(s["h"]) + theta)
    return rule


def test_adagrad_code_form():
    """ゼロつく's code: h starts at 0, θ = 1e-7 → Adagrad(lr=ε, eps=1e-7)."""
    ours = run_class(optim.Adagrad, lr=0.3, eps=1e-7)
    assert_agree(ours, run_rule(adagrad_rule(0.3, 1e-7, 0.0)), atol=1e-12)


def test_adagrad_formula_with_h0_theta():
    """The formula's h_0 = θ → Adagrad(lr=ε, eps=θ, initial_accumulator_value=θ)."""
    ours = run_class(optim.Adagrad, lr=0.3, eps=1e-3, initial_accumulator_value=1e-3)
    assert_agree(ours, run_rule(adagrad_rule(0.3, 1e-3, 1e-3)), atol=1e-12)


def test_adagrad_seed003_without_epsilon():
    """Seed 003's listing has no θ at all (w −= μ h^(−1/2) δ): the limit eps → 0, which
    a tiny positive eps reproduces bit for bit once h > 0."""
    ours = run_class(optim.Adagrad, lr=0.3, eps=1e-300)
    textbook = run_rule(lambda w, g, s, t: (s.__setitem__("h", s.get("h", 0.0) + g * g),
                                            w - 0.3 * np.power(s["h"], -0.5) * g)[1])
    assert_agree(ours, textbook, atol=1e-12)


def test_adagrad_pytorch_default_eps_is_not_the_textbooks():
    """PyTorch's default eps=1e-10 differs from the textbook's 1e-7, but only slightly."""
    ours = run_class(optim.Adagrad, lr=0.3)
    diff = np.abs(ours - run_rule(adagrad_rule(0.3, 1e-7, 0.0))).max()
    assert 0 < diff < 1e-5


# ---------------------------------------------------------------- RMSProp
def rmsprop_rule(lr, alpha, theta, inside_root=False):
    """Seed 001 / ゼロつく: h = αh + (1 − α)(∇E)²; w −= ε ∇E / (√h + θ)."""
    def rule(w, g, s, t):
        h = s["h"] = alpha * s.get("h", 0.0) + (1 - alpha) * g * g
        denom = np.sqrt(h + theta) if inside_root else np.sqrt(h) + theta
        return w - lr * g / denom
    return rule


def test_rmsprop_code_form():
    """decay_rate 0.99 is PyTorch's alpha; θ = 1e-7 is eps, added outside the root as in
    PyTorch → RMSprop(lr=ε, alpha=0.99, eps=1e-7)."""
    ours = run_class(optim.RMSprop, lr=0.01, alpha=0.99, eps=1e-7)
    assert_agree(ours, run_rule(rmsprop_rule(0.01, 0.99, 1e-7)), atol=1e-12)


def test_rmsprop_seed003_form():
    """Seed 003: h = ρh + (1−ρ)δ²; w −= μ δ / (√h + ε) → RMSprop(lr=μ, alpha=ρ, eps=ε)."""
    ours = run_class(optim.RMSprop, lr=0.005, alpha=0.9, eps=1e-8)
    assert_agree(ours, run_rule(rmsprop_rule(0.005, 0.9, 1e-8)), atol=1e-12)


def test_rmsprop_formula_with_theta_under_the_root():
    """Seed 001's formula writes ε∇E/√(h + θ): θ under the root, which no eps reproduces
    exactly; with θ = 1e-7 and gradients far above √θ the paths agree to 1e-6."""
    textbook = run_rule(rmsprop_rule(0.01, 0.99, 1e-7, inside_root=True))
    ours = run_class(optim.RMSprop, lr=0.01, alpha=0.99, eps=1e-7)
    assert_agree(ours, textbook, atol=1e-6)
    assert np.abs(ours - textbook).max() > 0


# ---------------------------------------------------------------- AdaDelta
def adadelta_rule(rho, eps, literal_listing=False):
    """Seed 003: h = ρh + (1−ρ)δ²; Δw = −√(s+ε)/√(h+ε)·δ; s = ρs + (1−ρ)Δw²; w += Δw.

    ``literal_listing`` accumulates δ² into s, as the printed listing does (its text
    argues for the units of Δw², so this reads as a typo)."""
    def rule(w, g, st, t):
        h = st["h"] = rho * st.get("h", 0.0) + (1 - rho) * g * g
        s = st.get("s", 0.0)
        delta_w = -np.power(s + eps, 0.5) * np.power(h + eps, -0.5) * g
        st["s"] = rho * s + (1 - rho) * (g * g if literal_listing else delta_w * delta_w)
        return w + delta_w
    return rule


def test_adadelta_seed003_form():
    """→ Adadelta(lr=1.0, rho=ρ, eps=ε) (lr=1.0 is the default: AdaDelta needs none)."""
    ours = run_class(optim.Adadelta, rho=0.95, eps=1e-4)
    assert_agree(ours, run_rule(adadelta_rule(0.95, 1e-4)), atol=1e-12)


def test_adadelta_literal_listing_is_a_different_rule():
    """With δ² accumulated in s, s ≈ h and Δw ≈ −δ: gradient descent with a unit rate,
    which leaves the class's path within a few steps (and here soon diverges)."""
    ours = run_class(optim.Adadelta, steps=5, rho=0.95, eps=1e-4)
    literal = run_rule(adadelta_rule(0.95, 1e-4, literal_listing=True), steps=5)
    assert np.isfinite(literal).all()
    assert np.abs(ours - literal).max() > 1e-2


# ---------------------------------------------------------------- Adam
def adam_seed003_rule(alpha, beta1, beta2, eps):
    """Seed 003: m, v moving averages; m̂ = m/(1−β1^t), v̂ = v/(1−β2^t);
    w −= α m̂ / (√v̂ + ε)."""
    def rule(w, g, s, t):
        m = s["m"] = beta1 * s.get("m", 0.0) + (1 - beta1) * g
        v = s["v"] = beta2 * s.get("v", 0.0) + (1 - beta2) * g * g
        m_hat = m / (1 - np.power(beta1, t))
        v_hat = v / (1 - np.power(beta2, t))
        return w - alpha * m_hat / (np.power(v_hat, 0.5) + eps)
    return rule


def adam_zerotsuku_rule(lr, beta1=0.9, beta2=0.999):
    """ゼロつく: lr_t = lr √(1−β2^t)/(1−β1^t); m += (1−β1)(g − m); v += (1−β2)(g² − v);
    w −= lr_t m / (√v + 1e-7)."""
    def rule(w, g, s, t):
        lr_t = lr * np.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)
        m = s.setdefault("m", np.zeros_like(w))
        v = s.setdefault("v", np.zeros_like(w))
        m += (1 - beta1) * (g - m)
        v += (1 - beta2) * (g ** 2 - v)
        return w - lr_t * m / (np.sqrt(v) + 1e-7)
    return rule


def test_adam_seed003_form():
    """Seed 003's bias-corrected form is PyTorch's → Adam(lr=α, betas=(β1, β2), eps=ε)."""
    ours = run_class(optim.Adam, lr=0.05, betas=(0.9, 0.999), eps=1e-8)
    assert_agree(ours, run_rule(adam_seed003_rule(0.05, 0.9, 0.999, 1e-8)), atol=1e-12)


def test_adam_zerotsuku_form_with_per_step_eps_is_exact():
    """lr_t·m/(√v + ε) = lr/(1−β1^t) · m/(√v̂ + ε/√(1−β2^t)): PyTorch's Adam with
    eps_t = 1e-7/√(1−β2^t) set before each step (textbook_adam_eps) is the same rule."""
    def set_eps(opt, t):
        opt.param_groups[0]["eps"] = textbook_adam_eps(t)
    ours = run_class(optim.Adam, lr=0.05, before_step=set_eps)
    assert_agree(ours, run_rule(adam_zerotsuku_rule(0.05)), atol=1e-12)


@pytest.mark.parametrize("eps", [1e-7, 1e-8])
def test_adam_zerotsuku_form_with_a_constant_eps_agrees_to_1e_6(eps):
    """A constant eps only moves ε relative to √v̂ ≈ |∇E| ≫ 1e-6 here, so the paths agree
    to 1e-6 (not to rounding: the 2-D demo of optimizer_paths, whose x-gradient
    becomes ~0.01, needs the per-step eps)."""
    ours = run_class(optim.Adam, lr=0.05, eps=eps)
    textbook = run_rule(adam_zerotsuku_rule(0.05))
    assert_agree(ours, textbook, atol=1e-6)
    assert np.abs(ours - textbook).max() > 1e-13
