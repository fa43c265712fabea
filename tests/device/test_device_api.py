"""Devices PyTorch's way: tg.device, Tensor/Module .to / .cuda / .cpu, factories'
device=, tg.cuda / tg.accelerator, the errors, and a training step that stays on its
device (run on 'cpu' and on 'cuda': the GPU, or the CuPy stand-in without one)."""
import numpy as np
import pytest

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import devices, nn, optim


def test_device_objects_behave_like_torch_device():
    d = tg.device("cuda:1")
    assert (d.type, d.index, str(d)) == ("cuda", 1, "cuda:1")
    assert tg.device("cuda", 0) == "cuda:0" == tg.device("cuda")
    assert tg.device("cpu") == "cpu" and tg.device("cpu") != "cuda"
    assert repr(tg.device("cuda", 2)) == "device(type='cuda', index=2)"
    assert len({tg.device("cuda"), tg.device("cuda:0")}) == 1
    for bad in ("gpu", "cuda:x", "cuda:-1"):
        with pytest.raises(ValueError):
            tg.device(bad)
    with pytest.raises(TypeError):
        tg.device(1.5)


def test_without_cupy_cuda_is_unavailable_and_asking_for_it_says_how(monkeypatch):
    monkeypatch.setattr(devices, "_cuda", None)
    monkeypatch.setattr(devices, "_cuda_array_type", None)

    def no_cupy():
        raise ImportError("No module named 'cupy'")
    monkeypatch.setattr(devices, "_import_cupy", no_cupy)
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
    assert tg.accelerator.is_available() is False
    assert tg.accelerator.current_accelerator() is None
    x = tg.ones(2)
    assert x.device == "cpu" and not x.is_cuda and x.cpu() is x
    for make in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: tg.zeros(2, device="cuda"),
                 lambda: nn.Linear(2, 2).to("cuda")):
        with pytest.raises(RuntimeError, match=r"CuPy.*tinygrad_jp\[cuda12\]"):
            make()


def test_to_moves_and_casts_and_is_differentiable(device):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to(device, tg.float64)
    assert y.device == device and y.dtype == tg.float64
    assert y.to(device) is y and y.to(y) is y          # nothing to do: the same tensor
    (y * y).sum().backward()
    assert x.grad.device == "cpu" and x.grad.dtype == tg.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert y.cpu().device == "cpu" and y.to(x).dtype == tg.float32
    assert "device='cuda" in repr(y) if device == "cuda" else "device" not in repr(y)


def test_factories_take_device_and_like_factories_follow_their_input(device):
    tg.manual_seed(0)
    on_cpu = tg.randn(3, 4)
    tg.manual_seed(0)
    r = tg.randn(3, 4, device=device)
    np.testing.assert_array_equal(r.cpu().numpy(), on_cpu.numpy())   # same stream
    for t in (tg.zeros(2, 3, device=device), tg.ones(2, device=device),
              tg.full((2,), 7.0, device=device), tg.arange(5, device=device),
              tg.eye(3, device=device), tg.empty(2, device=device),
              tg.rand(2, device=device), tg.randint(0, 5, (3,), device=device),
              tg.linspace(0, 1, 5, device=device), tg.tensor([1, 2], device=device),
              tg.zeros_like(r), tg.ones_like(r), tg.full_like(r, 2.0), tg.randn_like(r)):
        assert t.device == device
    assert tg.zeros_like(r, device="cpu").device == "cpu"


def test_mixing_devices_and_numpy_on_cuda_give_pytorchs_errors(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    a = tg.ones(3, device="cuda")
    b = tg.ones(3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + b
    with pytest.raises(RuntimeError, match="cuda:0 and cpu|cpu and cuda:0"):
        F.linear(tg.ones(2, 3), tg.ones(4, 3, device="cuda"))
    with pytest.raises(TypeError, match=r"Use Tensor.cpu\(\)"):
        a.numpy()
    with pytest.raises(TypeError, match=r"Use Tensor.cpu\(\)"):
        np.asarray(a)
    assert (a + tg.tensor(2.0)).device == "cuda"       # a 0-d CPU tensor may join


def _net():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.3),
    lambda p: optim.Adam(p, lr=0.01),
    lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
    lambda p: optim.AdamW(p, lr=0.01),
    lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    lambda p: optim.RMSprop(p, lr=0.01)])
def test_a_training_step_stays_on_its_device_and_matches_the_cpu(device, make_opt):
    x = np.random.default_rng(1).standard_normal((5, 6)).astype(np.float32)
    t = np.array([0, 1, 2, 1, 0])
    losses, weights = {}, {}
    for where in ("cpu", device):
        model = _net()
        opt = make_opt(model.parameters())          # made before the move: still works
        params = list(model.parameters())
        assert model.to(where) is model
        assert list(model.parameters()) == params and params[0].device == where
        seq = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(tg.tensor(x).to(where)), tg.tensor(t).to(where))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            seq.append(loss.item())
        assert all(p.device == where for p in model.parameters())
        assert all(p.grad.device == where for p in model.parameters())
        losses[where] = seq
        weights[where] = [p.detach().cpu().numpy() for p in model.parameters()]
    np.testing.assert_allclose(losses[device], losses["cpu"], rtol=1e-5)
    for on_device, on_cpu in zip(weights[device], weights["cpu"], strict=True):
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-4, atol=1e-6)


def test_module_cuda_cpu_and_state_dict_across_devices(device, tmp_path):
    model = _net().to(device)
    bn = nn.BatchNorm1d(3).to(device)
    assert bn.running_mean.device == device and bn.num_batches_tracked.device == device
    path = tmp_path / "w.safetensors"
    tg.save(model.state_dict(), path)                 # the same file from any device
    fresh = _net()
    with tg.no_grad():
        for p in fresh.parameters():
            p.fill_(0.0)
    fresh.to(device)
    fresh.load_state_dict(tg.load(path))              # onto each parameter's own device
    for a, b in zip(fresh.parameters(), model.parameters(), strict=True):
        assert a.device == device
        np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    loaded = tg.load(path, map_location=device)
    assert all(v.device == device for v in loaded.values())
    assert model.cpu() is model and all(p.device == "cpu" for p in model.parameters())


def test_the_course_cnns_train_on_their_device(device):
    """SimpleConvNet matches the CPU step for step; DeepConvNet (dropout: the GPU draws
    its own masks) runs and keeps everything on its device."""
    from tinygrad_jp.models import DeepConvNet, SimpleConvNet
    x = np.random.default_rng(2).random((4, 1, 28, 28)).astype(np.float32)
    t = np.array([1, 0, 3, 2])
    losses = {}
    for where in ("cpu", device):
        tg.manual_seed(0)
        net = SimpleConvNet().to(where)
        opt = optim.Adam(net.parameters(), lr=1e-3)
        seq = []
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(net(tg.tensor(x, device=where)), tg.tensor(t, device=where))
            loss.backward()
            opt.step()
            seq.append(loss.item())
        losses[where] = seq
    np.testing.assert_allclose(losses[device], losses["cpu"], rtol=1e-4)
    tg.manual_seed(0)
    deep = DeepConvNet().to(device)
    opt = optim.SGD(deep.parameters(), lr=0.01)
    loss = F.cross_entropy(deep(tg.tensor(x, device=device)), tg.tensor(t, device=device))
    loss.backward()
    opt.step()
    assert np.isfinite(loss.item())
    assert all(p.device == device for p in deep.parameters())
    deep.eval()
    with tg.no_grad():
        assert deep(tg.tensor(x, device=device)).device == device


def test_the_command_line_trains_on_the_device_it_is_given(device, tmp_path, capsys):
    from tinygrad_jp import cli
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "simple_cnn", "--smoke", "--epochs", "1",
                     "--device", device, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"({device})" in printed
    import json
    assert json.loads((out / "run.json").read_text())["device"] == device
    weights = tg.load(out / "model.safetensors")          # saved from the device
    assert all(v.device == "cpu" for v in weights.values())
    # the checkpoint (optimizer state on the device) resumes on it
    assert cli.main(["train", "--model", "simple_cnn", "--smoke", "--epochs", "2",
                     "--device", device, "--out", str(out), "--resume"]) == 0


def test_summary_graph_drawing_and_gradcheck_work_on_the_device(device):
    from tinygrad_jp import viz
    from tinygrad_jp.models import SimpleConvNet
    tg.manual_seed(0)
    net = SimpleConvNet().to(device)
    table = nn.summary(net, (1, 1, 28, 28))          # its input is made on the device
    assert table.total_params == sum(p.numel() for p in net.parameters())
    loss = net(tg.randn(2, 1, 28, 28, device=device)).sum()
    g = viz.draw_graph(loss, group_by_module=net, show_values=True, color_by="grad_norm")
    assert "conv1" in g.source and "mean" in g.source    # grouped, values read back
    assert g.flow_note is None          # every op shaded: the gradient flow was computed
    loss.backward()
    assert "grad" in viz.draw_graph(loss, show_grads=True).source
    a = tg.randn(3, 2, dtype=tg.float64, requires_grad=True, device=device)
    assert tg.gradcheck(lambda t: (t.tanh() * t).sum(1), [a])
    assert tg.gradgradcheck(lambda t: (t ** 3).sum(), [a])


def test_out_of_memory_names_the_op_and_the_sizes(device, monkeypatch):
    from tinygrad_jp.ops import elementwise

    def full(self, a, b):
        raise MemoryError("Out of memory allocating 8,000,000,000 bytes")
    monkeypatch.setattr(elementwise.Mul, "forward", full)
    a = tg.ones(3, 4, device=device)
    with pytest.raises(RuntimeError, match=r"MulBackward: out of memory on .*\(3, 4\) "
                                           r"float32.*smaller batch"):
        a * a


@pytest.mark.parametrize("name", ["vanishing-gradient", "augmentation", "gan"])
def test_experiments_train_on_the_device_they_are_given(device, name, tmp_path):
    """The experiment's networks train on the device and come back to the host for the
    analysis; the report says where it ran (smoke sizes: seconds)."""
    if device == "cpu":
        pytest.skip("the CPU runs of the experiments are tests/experiments")
    from tinygrad_jp import experiments
    options = {"conditional": True} if name == "gan" else {}
    report = experiments.run_experiment(name, out_dir=tmp_path / name, smoke=True,
                                        device=device, **options)
    assert report.settings["device"] == device
    data = experiments.check_report(tmp_path / name)
    assert data["settings"]["device"] == device
