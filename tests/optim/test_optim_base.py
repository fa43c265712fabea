"""The Optimizer base: groups, errors, zero_grad, closures, state dicts and resuming."""
import json
import warnings

import numpy as np
import pytest
from optim_testlib import initial_arrays, loss_fn

import tinygrad_jp as tg
from tinygrad_jp import optim
from tinygrad_jp.optim import serialization

ALL = [
    (optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=1e-2, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=1e-2)),
    (optim.Adagrad, dict(lr=0.05, lr_decay=0.01)),
    (optim.RMSprop, dict(lr=1e-3, momentum=0.5, centered=True)),
    (optim.Adadelta, dict()),
]
IDS = [c.__name__ for c, _ in ALL]


def param(*shape, value=1.0):
    return tg.Tensor(np.full(shape, value), requires_grad=True)


def make_problem(arrays=None):
    a = initial_arrays() if arrays is None else arrays
    W = tg.Tensor(a["W"].copy(), requires_grad=True)
    b = tg.Tensor(a["b"].copy(), requires_grad=True)
    X, y = tg.Tensor(a["X"]), tg.Tensor(a["y"])
    return W, b, lambda: loss_fn(W, b, X, y)


def train(opt, closure, steps, sched=None):
    for _ in range(steps):
        opt.zero_grad()
        closure().backward()
        opt.step()
        if sched is not None:
            sched.step()


# ---------------------------------------------------------------- construction errors
def test_empty_parameter_list():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(iter([]))


def test_non_leaf_tensor():
    w = param(3)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)


def test_params_must_be_an_iterable_of_tensors():
    w = param(3)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        optim.SGD([w, np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="dtype int64"):
        optim.SGD([tg.Tensor(np.arange(3))], lr=0.1)


def test_a_parameter_in_two_groups():
    w, v = param(3), param(2)
    with pytest.raises(ValueError, match=r"more than one parameter group.*shape \(3,\)"):
        optim.SGD([{"params": [w, v]}, {"params": [w]}], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [v, w]})
    assert len(opt.param_groups) == 1  # the failed group was not added


def test_duplicate_parameter_in_one_group_warns():
    w = param(3)
    with pytest.warns(UserWarning, match="duplicate"):
        optim.SGD([w, w], lr=0.1)


BAD_VALUES = [
    (optim.SGD, dict(lr=-0.1), "lr=-0.1"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum=-0.5"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1), "weight_decay=-1"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "momentum=0"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    (optim.Adam, dict(lr=-1e-3), "lr=-0.001"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]=1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]=-0.1"),
    (optim.Adam, dict(betas=(0.9, 1.5)), r"betas\[1\]=1.5"),
    (optim.Adam, dict(eps=0.0), "eps=0.0"),
    (optim.Adam, dict(eps=-1e-8), "eps=-1e-08"),
    (optim.AdamW, dict(weight_decay=-0.01), "weight_decay=-0.01"),
    (optim.Adagrad, dict(eps=0), "eps=0"),
    (optim.Adagrad, dict(lr_decay=-1), "lr_decay=-1"),
    (optim.Adagrad, dict(initial_accumulator_value=-0.1), "initial_accumulator_value=-0.1"),
    (optim.RMSprop, dict(alpha=-0.9), "alpha=-0.9"),
    (optim.RMSprop, dict(eps=0.0), "eps=0.0"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum=-0.1"),
    (optim.Adadelta, dict(rho=1.5), "rho=1.5"),
    (optim.Adadelta, dict(eps=-1e-6), "eps=-1e-06"),
    (optim.Adadelta, dict(lr=float("nan")), "lr=nan"),
]


@pytest.mark.parametrize("cls,kwargs,expected", BAD_VALUES,
                         ids=[f"{c.__name__}-{e}" for c, _, e in BAD_VALUES])
def test_bad_hyperparameters_name_argument_and_value(cls, kwargs, expected):
    with pytest.raises(ValueError, match=expected) as info:
        cls([param(2)], **kwargs)
    assert cls.__name__ in str(info.value)


def test_bad_value_in_a_group_is_caught_too():
    with pytest.raises(ValueError, match="lr=-0.5"):
        optim.Adam([{"params": [param(2)]}, {"params": [param(3)], "lr": -0.5}])


def test_wrong_types():
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.SGD([param(2)], lr="0.1")
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.Adam([param(2)], betas=0.9)


def test_required_hyperparameter():
    class Plain(optim.Optimizer):
        def __init__(self, params, lr=optim.required):
            super().__init__(params, dict(lr=lr))

    with pytest.raises(ValueError, match="required optimization parameter lr"):
        Plain([param(2)])
    opt = Plain([{"params": [param(2)], "lr": 0.5}])
    assert opt.param_groups[0]["lr"] == 0.5


# ---------------------------------------------------------------- stepping
@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_parameters_without_grad_are_skipped(cls, kwargs):
    used, unused = param(3, value=2.0), param(2, value=5.0)
    opt = cls([used, unused], **kwargs)
    for _ in range(3):
        opt.zero_grad()
        (used * used).sum().backward()
        opt.step()
    assert unused.grad is None
    np.testing.assert_array_equal(unused.data, 5.0)
    assert unused not in opt.state
    assert not np.allclose(used.data, 2.0)


@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_step_updates_in_place_without_building_a_graph(cls, kwargs):
    w = param(4, value=1.5)
    array = w.data
    opt = cls([w], **kwargs)
    (w * w).sum().backward()
    opt.step()
    assert w.data is array                      # views held elsewhere stay valid
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w.grad.grad_fn is None               # the gradient was only read
    np.testing.assert_array_equal(w.grad.data, 3.0)


def test_step_under_no_grad_and_create_graph_gradients():
    w = param(3, value=1.0)
    opt = optim.SGD([w], lr=0.1)
    (w ** 3).sum().backward(create_graph=True)  # the gradient has a graph of its own
    with tg.no_grad():
        opt.step()
    np.testing.assert_allclose(w.data, 1.0 - 0.1 * 3.0)
    opt.zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and not w.grad.requires_grad


def test_zero_grad():
    w = param(3)
    opt = optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad()
    assert w.grad is None
    (w * 2).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad.data, 0.0)


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    w = param(2, value=3.0)
    opt = optim.SGD([w], lr=0.25)
    seen = []

    def closure():
        seen.append(tg.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss.item() == 18.0                     # evaluated before the update
    np.testing.assert_allclose(w.data, 3.0 - 0.25 * 6.0)
    assert opt.step() is None


def test_gradient_shape_mismatch_is_reported():
    w = param(3)
    opt = optim.Adam([w])
    w.grad = tg.Tensor(np.ones(4))
    with pytest.raises(RuntimeError, match=r"gradient has shape \(4,\).*\(3,\)"):
        opt.step()


def test_lr_changed_in_the_group_is_used():
    w = param(1, value=1.0)
    opt = optim.SGD([w], lr=0.1)
    (w * 1.0).sum().backward()
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    np.testing.assert_allclose(w.data, 1.0 - 0.1 - 0.5)


def test_add_param_group_gets_defaults_and_its_own_lr():
    w, v = param(2), param(2)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": v, "lr": 0.01})
    g = opt.param_groups[1]
    assert g["params"] == [v] and g["lr"] == 0.01 and g["momentum"] == 0.9
    (w.sum() + v.sum()).backward()
    opt.step()
    np.testing.assert_allclose(w.data, 1.0 - 0.1)
    np.testing.assert_allclose(v.data, 1.0 - 0.01)


def test_repr_lists_groups():
    text = repr(optim.Adam([param(2)], lr=0.01))
    assert text.startswith("Adam (") and "lr: 0.01" in text and "Parameter Group 0" in text


# ---------------------------------------------------------------- state dicts
def test_state_dict_structure_and_copies():
    W, b, closure = make_problem()
    opt = optim.Adam([{"params": [W]}, {"params": [b], "lr": 0.1}])
    train(opt, closure, 2)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][1]["lr"] == 0.1
    assert set(sd["state"]) == {0, 1}
    assert sd["state"][0]["step"] == 2
    assert isinstance(sd["state"][0]["exp_avg"], np.ndarray)
    saved = sd["state"][0]["exp_avg"].copy()
    train(opt, closure, 1)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)  # a snapshot


@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_resume_gives_the_uninterrupted_trajectory(cls, kwargs, tmp_path):
    W, b, closure = make_problem()
    opt = cls([{"params": [W]}, {"params": [b], "weight_decay": 0}], **kwargs)
    train(opt, closure, 15)
    expected = (W.data.copy(), b.data.copy())

    W2, b2, closure2 = make_problem()
    opt2 = cls([{"params": [W2]}, {"params": [b2], "weight_decay": 0}], **kwargs)
    train(opt2, closure2, 7)
    path = tmp_path / "opt.safetensors"
    serialization.save_file(opt2.state_dict(), path)
    params = {"W": W2.data.copy(), "b": b2.data.copy()}

    # a new process: new tensors and a new optimizer, from the checkpoint
    a = initial_arrays()
    a.update(params)
    W3, b3, closure3 = make_problem(a)
    opt3 = cls([{"params": [W3]}, {"params": [b3], "weight_decay": 0}], **kwargs)
    opt3.load_state_dict(serialization.load_file(path))
    train(opt3, closure3, 8)
    np.testing.assert_array_equal(W3.data, expected[0])
    np.testing.assert_array_equal(b3.data, expected[1])


def test_resume_with_a_scheduler_through_json(tmp_path):
    def run(steps, opt=None, sched=None, W=None, b=None, closure=None):
        if opt is None:
            W, b, closure = make_problem()
            opt = optim.SGD([W, b], lr=0.01, momentum=0.9)
            sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 6, 6], gamma=0.5)
        train(opt, closure, steps, sched)
        return opt, sched, W, b, closure

    _, _, W_full, _, _ = run(10)
    opt, sched, W, b, _ = run(4)
    arrays, meta = serialization.flatten_state_dict(opt.state_dict())
    blob = json.dumps({"optimizer": meta, "scheduler": sched.state_dict()})
    a = initial_arrays()
    a.update(W=W.data.copy(), b=b.data.copy())
    W2, b2, closure2 = make_problem(a)
    opt2 = optim.SGD([W2, b2], lr=0.01, momentum=0.9)
    sched2 = optim.lr_scheduler.MultiStepLR(opt2, milestones=[3, 6, 6], gamma=0.5)
    loaded = json.loads(blob)
    opt2.load_state_dict(serialization.unflatten_state_dict(arrays, loaded["optimizer"]))
    sched2.load_state_dict(loaded["scheduler"])
    run(6, opt2, sched2, W2, b2, closure2)
    np.testing.assert_array_equal(W2.data, W_full.data)


def test_load_state_dict_casts_to_the_parameter_dtype():
    w = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": np.arange(3.0)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    buf = opt.state[w]["momentum_buffer"]
    assert buf.dtype == np.float32
    buf[0] = 7
    assert sd["state"][0]["momentum_buffer"][0] == 0  # copied, not shared


def test_load_state_dict_accepts_tensors_and_string_keys():
    w = param(2)
    opt = optim.Adam([w])
    sd = {"state": {"0": {"step": np.array(4.0), "exp_avg": tg.Tensor(np.ones(2)),
                          "exp_avg_sq": np.ones(2)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.5)]}
    opt.load_state_dict(sd)
    assert opt.state[w]["step"] == 4 and opt.param_groups[0]["lr"] == 0.5
    assert opt.param_groups[0]["params"] == [w]


def test_load_state_dict_mismatches():
    w, v = param(2), param(3)
    sd = optim.SGD([w, v], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [w]}, {"params": [v]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([w], lr=0.1).load_state_dict(sd)
    opt = optim.SGD([w, v], lr=0.1, momentum=0.9)
    (w.sum() + v.sum()).backward()
    opt.step()
    swapped = optim.SGD([v, w], lr=0.1, momentum=0.9)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) but the parameter has shape \(3,\)"):
        swapped.load_state_dict(opt.state_dict())
    with pytest.raises(TypeError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})


# ---------------------------------------------------------------- serialization
def test_flatten_is_json_and_round_trips():
    W, b, closure = make_problem()
    opt = optim.Adam([W, b], amsgrad=True)
    train(opt, closure, 3)
    sd = opt.state_dict()
    arrays, meta = serialization.flatten_state_dict(sd)
    assert set(arrays) == {f"state.{i}.{k}" for i in (0, 1)
                           for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")}
    back = serialization.unflatten_state_dict(arrays, json.loads(json.dumps(meta)))
    assert back["state"][1]["step"] == 3
    np.testing.assert_array_equal(back["state"][0]["exp_avg"], sd["state"][0]["exp_avg"])
    assert back["param_groups"][0]["betas"] == [0.9, 0.999]
    optim.Adam([W, b]).load_state_dict(back)  # list betas are accepted


def test_save_file_without_state_and_atomically(tmp_path):
    opt = optim.SGD([param(2)], lr=0.1)       # plain SGD keeps no state
    path = tmp_path / "sgd.safetensors"
    serialization.save_file(opt.state_dict(), path)
    assert serialization.load_file(path) == {"state": {}, "param_groups": [
        {"lr": 0.1, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
         "params": [0]}]}
    assert [p.name for p in tmp_path.iterdir()] == ["sgd.safetensors"]  # no temp left


def test_load_file_rejects_other_files(tmp_path):
    from safetensors.numpy import save_file
    path = tmp_path / "weights.safetensors"
    save_file({"w": np.zeros(2)}, str(path))
    with pytest.raises(ValueError, match="not an optimizer state file"):
        serialization.load_file(path)


def test_load_file_names_the_file_when_its_metadata_nests_too_deep(tmp_path):
    from safetensors.numpy import save_file
    path = tmp_path / "optimizer.safetensors"
    save_file({"w": np.zeros(2)}, str(path),
              metadata={"tinygrad_jp.optim": "[" * 100_000 + "]" * 100_000})
    with pytest.raises(RuntimeError, match=r"load_file: .*optimizer\.safetensors is "
                                           r"corrupted: its optimizer-state metadata nests "
                                           r"deeper than the JSON decoder can follow"):
        serialization.load_file(path)
    save_file({"w": np.zeros(2)}, str(path), metadata={"tinygrad_jp.optim": "{"})
    with pytest.raises(RuntimeError, match=r"optimizer\.safetensors is corrupted: its "
                                           r"optimizer-state metadata is not valid JSON"):
        serialization.load_file(path)


# ---------------------------------------------------------------- regularisation
def test_l2_penalty_gradient_is_lambda_w():
    lam = 0.3
    w = tg.Tensor(np.array([1.5, -2.0, 0.0]), requires_grad=True)
    ((w * w).sum() * 0.5 * lam).backward()
    np.testing.assert_allclose(w.grad.data, lam * w.data)


def test_l1_penalty_gradient_is_lambda_sign_w_and_zero_at_zero():
    lam = 0.3
    w = tg.Tensor(np.array([1.5, -2.0, 0.0]), requires_grad=True)
    (w.abs().sum() * lam).backward()
    np.testing.assert_allclose(w.grad.data, [lam, -lam, 0.0])


def test_weight_decay_equals_the_l2_penalty_in_the_loss():
    """SGD(weight_decay=λ) on L follows SGD on L + ½λ‖w‖² exactly (coupled L2)."""
    lam = 0.2
    W1, b1, closure1 = make_problem()
    train(optim.SGD([W1, b1], lr=0.01, momentum=0.9, weight_decay=lam), closure1, 20)
    W2, b2, closure2 = make_problem()
    penalised = lambda: closure2() + ((W2 * W2).sum() + (b2 * b2).sum()) * (0.5 * lam)  # noqa
    train(optim.SGD([W2, b2], lr=0.01, momentum=0.9), penalised, 20)
    np.testing.assert_allclose(W1.data, W2.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b1.data, b2.data, rtol=1e-12, atol=1e-14)


def test_biases_excluded_from_decay_by_a_group():
    W1, b1, closure1 = make_problem()
    train(optim.SGD([{"params": [W1]}, {"params": [b1], "weight_decay": 0}],
                    lr=0.01, weight_decay=0.5), closure1, 10)
    W2, b2, closure2 = make_problem()
    penalised = lambda: closure2() + (W2 * W2).sum() * 0.25  # ½·0.5‖W‖², no bias term  # noqa
    train(optim.SGD([W2, b2], lr=0.01), penalised, 10)
    np.testing.assert_allclose(b1.data, b2.data, rtol=1e-12)
    np.testing.assert_allclose(W1.data, W2.data, rtol=1e-12)


def test_adamw_decay_is_decoupled_from_the_gradient():
    """With a zero gradient, AdamW only shrinks w by (1 − lr·λ); Adam's coupled decay is
    normalised like a gradient and moves each weight by about lr instead."""
    lr, lam = 0.01, 0.1
    w1, w2 = param(3, value=2.0), param(3, value=2.0)
    adamw, adam = optim.AdamW([w1], lr=lr, weight_decay=lam), optim.Adam([w2], lr=lr,
                                                                         weight_decay=lam)
    for w, opt in ((w1, adamw), (w2, adam)):
        w.grad = tg.Tensor(np.zeros(3))
        opt.step()
    np.testing.assert_allclose(w1.data, 2.0 * (1 - lr * lam))
    np.testing.assert_allclose(w2.data, 2.0 - lr, rtol=1e-6)


def test_no_warning_in_plain_use():
    W, b, closure = make_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = optim.Adam([W, b])
        sched = optim.lr_scheduler.StepLR(opt, 2)
        train(opt, closure, 3, sched)
