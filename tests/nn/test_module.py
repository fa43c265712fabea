"""The Module system: registration, traversal, modes, dtypes, hooks, state dicts, repr."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn


class Affine(nn.Module):
    """A Linear written from scratch, so these tests need no nn.functional."""

    def __init__(self, i, o):
        super().__init__()
        self.weight = nn.Parameter(tg.randn(o, i) * 0.1)
        self.bias = nn.Parameter(tg.zeros(o))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(Affine(4, 8), nn.ReLU(), Affine(8, 8))
        self.head = Affine(8, 3)
        self.register_buffer("steps", tg.zeros(1))
        self.register_buffer("scratch", tg.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.features(x).relu())


# ---------------------------------------------------------------------- Parameter
def test_parameter_is_leaf_tensor_sharing_memory():
    t = tg.ones(3)
    p = nn.Parameter(t)
    assert isinstance(p, tg.Tensor) and p.is_leaf and p.requires_grad
    assert p.data is t.data
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(tg.ones(2), requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(tg.tensor([1, 2]))


# ---------------------------------------------------------------------- registration
def test_attribute_registration_and_deletion():
    m = Net()
    assert list(m._modules) == ["features", "head"]
    assert list(m._buffers) == ["steps", "scratch"]
    m.extra = nn.Parameter(tg.zeros(2))
    assert "extra" in dict(m.named_parameters())
    del m.extra
    assert "extra" not in dict(m.named_parameters())
    m.plain = tg.zeros(2)  # a plain tensor attribute is neither parameter nor buffer
    assert "plain" not in dict(m.named_parameters()) and "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.head.weight = tg.zeros(3, 8)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope  # noqa: B018
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", tg.zeros(1))
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("bad", 3.0)


def test_assigning_before_super_init_says_what_to_do():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = Affine(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Bad()


def test_forward_missing_is_named():
    with pytest.raises(NotImplementedError, match=r'\[Module\] is missing the required "forward"'):
        nn.Module()(tg.zeros(1))


# ---------------------------------------------------------------------- traversal
def test_named_parameters_buffers_modules():
    m = Net()
    assert [n for n, _ in m.named_parameters()] == [
        "features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias",
        "head.weight", "head.bias"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == []
    assert [n for n, _ in m.head.named_parameters(prefix="head")] == ["head.weight",
                                                                      "head.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in m.named_children()] == ["features", "head"]
    assert [n for n, _ in m.named_modules()] == ["", "features", "features.0", "features.1",
                                                 "features.2", "head"]
    assert len(list(m.modules())) == 6 and len(list(m.children())) == 2
    assert len(list(m.parameters())) == 6 and len(list(m.buffers())) == 2


def test_shared_parameters_and_modules_are_listed_once():
    shared = Affine(3, 3)
    m = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(m.parameters())) == 2
    assert len(list(m.modules())) == 3
    assert list(m.state_dict()) == ["0.weight", "0.bias"]
    m.tied = nn.Module()
    m.tied.w = shared.weight
    assert len(list(m.parameters())) == 2


def test_get_submodule_parameter_buffer():
    m = Net()
    assert m.get_submodule("features.2") is m.features[2]
    assert m.get_parameter("features.2.bias") is m.features[2].bias
    assert m.get_buffer("steps") is m.steps
    with pytest.raises(AttributeError, match="no attribute `9`"):
        m.get_submodule("features.9")


# ---------------------------------------------------------------------- modes
def test_train_eval_propagate():
    m = Net()
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.features.train()
    assert m.features[1].training and not m.head.training and not m.training
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")


def test_zero_grad_and_apply():
    m = Net()
    m(tg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    visited = []
    assert m.apply(lambda mod: visited.append(type(mod).__name__)) is m
    assert visited == ["Affine", "ReLU", "Affine", "Sequential", "Affine", "Net"]


def test_freezing_a_submodule_keeps_its_grad_none():
    m = Net()
    m.features.requires_grad_(False)
    m(tg.randn(5, 4)).sum().backward()
    assert all(p.grad is None for p in m.features.parameters())
    assert all(p.grad is not None for p in m.head.parameters())
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())


# ---------------------------------------------------------------------- dtypes
def test_double_float_to_keep_parameters_and_int_buffers():
    m = nn.Sequential(Affine(2, 3), nn.BatchNorm1d(3))
    w = m[0].weight
    m[0](tg.randn(4, 2)).sum().backward()
    assert m.double() is m
    assert m[0].weight is w and w.dtype == tg.float64 and w.grad.dtype == tg.float64
    assert m[1].running_mean.dtype == tg.float64
    assert m[1].num_batches_tracked.dtype == tg.int64
    m.to(tg.float32)
    assert w.dtype == tg.float32 and m[1].running_var.dtype == tg.float32
    assert m.to("cpu") is m and m.to("cpu", tg.float64).state_dict()["1.weight"].dtype == \
        tg.float64
    m.float()
    with pytest.raises(TypeError, match="floating point"):
        m.to(tg.int64)
    if not tg.cuda.is_available():       # without CuPy / a GPU: the install hint
        with pytest.raises(RuntimeError, match=r"CuPy.*tinygrad_jp\[cuda12\]"):
            m.to("cuda")


# ---------------------------------------------------------------------- hooks
def test_forward_hooks_see_replace_and_remove():
    m = Affine(2, 2)
    seen = []
    h1 = m.register_forward_hook(lambda mod, args, out: seen.append(
        (mod, args[0].shape, out.shape)))
    h2 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    out = m(tg.ones(3, 2))
    assert seen == [(m, (3, 2), (3, 2))]
    np.testing.assert_allclose(out.data, np.broadcast_to(m.bias.data, (3, 2)))
    h2.remove()
    h3 = m.register_forward_hook(lambda mod, args, out: out * 2)
    np.testing.assert_allclose(m(tg.ones(1, 2)).data,
                               2 * (m.weight.data.sum(1) + m.bias.data)[None], rtol=1e-6)
    h1.remove()
    h3.remove()
    h1.remove()  # harmless
    m(tg.ones(1, 2))
    assert len(seen) == 2
    with m.register_forward_hook(lambda *a: seen.append("ctx")):
        m(tg.ones(1, 2))
    m(tg.ones(1, 2))
    assert seen.count("ctx") == 1


def test_pre_hook_with_kwargs_and_prepend_order():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    assert m(tg.ones(1)).item() == 3.0
    order = []
    m.register_forward_hook(lambda *a: order.append("second"))
    m.register_forward_hook(lambda *a: order.append("first"), prepend=True)
    m(tg.ones(1))
    assert order == ["first", "second"]


def test_global_module_hooks_group_calls_by_module():
    m = Net()
    calls = []
    h = nn.register_module_forward_hook(lambda mod, args, out: calls.append(type(mod).__name__))
    try:
        m(tg.zeros(1, 4))
    finally:
        h.remove()
    assert calls == ["Affine", "ReLU", "Affine", "Sequential", "Affine", "Net"]
    m(tg.zeros(1, 4))
    assert len(calls) == 6


# ---------------------------------------------------------------------- state dict
def test_state_dict_keys_values_share_memory_and_skip_non_persistent():
    m = Net()
    sd = m.state_dict()
    assert list(sd) == ["steps", "features.0.weight", "features.0.bias",
                        "features.2.weight", "features.2.bias", "head.weight", "head.bias"]
    assert sd["head.weight"].data is m.head.weight.data
    assert not sd["head.weight"].requires_grad
    assert sd.__class__ is OrderedDict
    assert m.state_dict(keep_vars=True)["head.weight"] is m.head.weight


def test_batchnorm_state_dict_has_int64_scalar_counter():
    bn = nn.BatchNorm2d(4)
    sd = bn.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var",
                        "num_batches_tracked"]
    assert sd["num_batches_tracked"].dtype == tg.int64 and sd["num_batches_tracked"].shape == ()
    assert list(nn.BatchNorm2d(4, affine=False, track_running_stats=False).state_dict()) == []


def test_load_state_dict_copies_in_place():
    a, b = Net(), Net()
    w = b.head.weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert b.head.weight is w
    np.testing.assert_array_equal(w.data, a.head.weight.data)
    assert w.data is not a.head.weight.data
    # NumPy arrays work as values, and are cast to the parameter's dtype
    sd = {k: v.data.astype(np.float64) for k, v in a.state_dict().items()}
    b.load_state_dict(sd)
    assert b.head.weight.dtype == tg.float32
    b.load_state_dict(sd, assign=True)  # keeps the checkpoint's precision, same objects
    assert b.head.weight is w and w.dtype == tg.float64 and w.data is not sd["head.weight"]
    np.testing.assert_array_equal(w.data, sd["head.weight"])


def test_load_state_dict_reports_every_problem_at_once_and_changes_nothing():
    m = Net()
    before = m.head.weight.data.copy()
    sd = dict(Net().state_dict())
    del sd["features.0.bias"]
    sd["head.weight"] = tg.zeros(4, 8)
    sd["head.extra"] = tg.zeros(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "features.0.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "head.extra"' in msg
    assert ("size mismatch for head.weight: copying a param with shape (4, 8) from "
            "checkpoint, the shape in current model is (3, 8)") in msg
    np.testing.assert_array_equal(m.head.weight.data, before)
    # strict=False: missing/unexpected are returned, size mismatches still raise
    del sd["head.weight"]
    result = m.load_state_dict(sd, strict=False)
    assert result == (["features.0.bias", "head.weight"], ["head.extra"])
    sd["head.weight"] = tg.zeros(4, 8)
    with pytest.raises(RuntimeError, match="size mismatch"):
        m.load_state_dict(sd, strict=False)


def test_load_state_dict_hints_at_a_prefix():
    m = Affine(2, 2)
    sd = {"model." + k: v for k, v in m.state_dict().items()}
    with pytest.raises(RuntimeError, match="extra prefix 'model.'"):
        m.load_state_dict(sd)


# ---------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_growth():
    s = nn.Sequential(Affine(2, 3), nn.ReLU(), Affine(3, 4))
    assert len(s) == 3 and isinstance(s[1], nn.ReLU) and s[-1] is s[2]
    head = s[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is s[0]
    assert list(s[1:]._modules) == ["1", "2"]
    assert [type(x).__name__ for x in s] == ["Affine", "ReLU", "Affine"]
    s.append(nn.Tanh())
    assert list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and isinstance(s[1], Affine)
    s.insert(1, nn.Sigmoid())
    assert isinstance(s[1], nn.Sigmoid) and len(s) == 4
    assert s(tg.zeros(5, 2)).shape == (5, 4)
    with pytest.raises(IndexError, match="out of range"):
        s[7]  # noqa: B018
    with pytest.raises(TypeError, match="parentheses"):
        nn.Sequential(nn.ReLU)
    named = nn.Sequential(OrderedDict([("fc", Affine(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    assert len(s + named) == 6


def test_modulelist_and_moduledict_register_children():
    ml = nn.ModuleList([Affine(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.ReLU())
    ml.extend([nn.ReLU()])
    assert len(ml) == 5 and isinstance(ml[1:3], nn.ModuleList)
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    with pytest.raises(NotImplementedError):
        ml(tg.zeros(1))
    md = nn.ModuleDict({"enc": Affine(2, 2), "dec": Affine(2, 2)})
    assert list(md) == ["enc", "dec"] and "enc" in md and len(md) == 2
    assert list(md.state_dict())[0] == "enc.weight"
    md["act"] = nn.ReLU()
    assert list(md.keys()) == ["enc", "dec", "act"]
    assert md.pop("act").__class__ is nn.ReLU


def test_modulelist_repr_compresses_runs_like_pytorch():
    ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])
    assert repr(ml) == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_deepcopy_is_independent():
    m = Net()
    c = copy.deepcopy(m)
    assert c.head.weight is not m.head.weight
    assert isinstance(c.head.weight, nn.Parameter)
    c.head.weight.data[...] = 0
    assert m.head.weight.data.any()
    assert list(c.state_dict()) == list(m.state_dict())


# ---------------------------------------------------------------------- PyTorch oracle
def _pair_models():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    def build(lib):
        class Block(lib.Module):
            def __init__(self):
                super().__init__()
                self.features = lib.Sequential(
                    lib.Conv2d(3, 8, 3, padding=1), lib.BatchNorm2d(8), lib.ReLU(),
                    lib.MaxPool2d(2), lib.Conv2d(8, 16, (3, 5), stride=2, bias=False),
                    lib.GroupNorm(4, 16), lib.LeakyReLU(0.2), lib.AdaptiveAvgPool2d((2, 2)))
                self.bn1 = lib.BatchNorm1d(64, momentum=None)
                self.classifier = lib.Sequential(
                    lib.Flatten(), lib.Dropout(0.3), lib.Linear(64, 10), lib.LayerNorm(10),
                    lib.Sigmoid(), lib.Linear(10, 3, bias=False), lib.LogSoftmax(dim=1))
                self.blocks = lib.ModuleList([lib.Identity(), lib.Tanh(), lib.Tanh()])
                self.heads = lib.ModuleDict({"up": lib.Upsample(scale_factor=2),
                                             "de": lib.ConvTranspose2d(16, 8, 4, 2, 1),
                                             "in": lib.InstanceNorm2d(8, affine=True),
                                             "lrn": lib.LocalResponseNorm(5),
                                             "avg": lib.AvgPool2d(3, 1, 1),
                                             "soft": lib.Softmax(dim=-1),
                                             "gelu": lib.GELU(),
                                             "unf": lib.Unflatten(1, (2, 32))})
                self.loss = lib.CrossEntropyLoss(label_smoothing=0.1)

        return Block()

    return torch, build(nn), build(tnn)


def test_repr_equals_pytorch():
    _, ours, theirs = _pair_models()
    assert repr(ours) == repr(theirs)
    for cls, args in [("BCELoss", ()), ("BCEWithLogitsLoss", ()), ("MSELoss", ()),
                      ("L1Loss", ()), ("NLLLoss", ()), ("Linear", (784, 100)),
                      ("MaxPool2d", (3, 2, 1)), ("Dropout", ()),
                      ("Conv2d", (1, 4, 3, 1, "same")), ("ReLU", (True,)),
                      ("LeakyReLU", (0.1, True)), ("Softmax", ())]:
        torch = pytest.importorskip("torch")
        assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args)), cls


def test_state_dict_keys_shapes_dtypes_equal_pytorch_and_load_both_ways():
    torch, ours, theirs = _pair_models()
    sd_ours, sd_theirs = ours.state_dict(), theirs.state_dict()
    assert list(sd_ours) == list(sd_theirs)
    for k in sd_ours:
        assert tuple(sd_ours[k].shape) == tuple(sd_theirs[k].shape), k
        assert str(sd_ours[k].dtype) == str(sd_theirs[k].dtype).replace("torch.", ""), k
    # ours → torch
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in sd_ours.items()})
    # torch → ours (torch tensors accepted directly)
    fresh = _pair_models()[1]
    fresh.load_state_dict(theirs.state_dict())
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.data, sd_ours[k].data)


def test_default_init_matches_pytorch_statistically():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    for ours, theirs, fan_in in [
            (nn.Linear(400, 300), torch.nn.Linear(400, 300), 400),
            (nn.Conv2d(16, 32, 5), torch.nn.Conv2d(16, 32, 5), 16 * 25),
            (nn.ConvTranspose2d(16, 32, 4), torch.nn.ConvTranspose2d(16, 32, 4), 32 * 16)]:
        # kaiming_uniform_(a=√5) and the bias rule both give U(±1/√fan_in)
        bound = 1 / np.sqrt(fan_in)
        for name in ("weight", "bias"):
            a = getattr(ours, name).data
            b = getattr(theirs, name).detach().numpy()
            assert a.shape == b.shape and a.dtype == np.float32
            tol = 5 * 0.45 / np.sqrt(a.size)  # ~5 standard errors of a sample std
            for x in (a, b):
                assert np.abs(x).max() <= bound
                assert abs(x.std() / (bound / np.sqrt(3)) - 1) < tol, name
