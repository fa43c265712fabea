"""The scripts in examples/ are PyTorch scripts with only their imports changed. Each is
run here on small data, and, where PyTorch is installed, the same script is loaded
under real torch (its imports changed back) and its first losses compared, from the
same initial weights (copied from torch's model through state_dict).

Two things cannot be shared between the frameworks, and are fixed in the comparison:
dropout masks (the Dropout modules are set to p=0 in both) and random noise drawn
inside a training step (the DCGAN's z: there the first losses agree within 0.05,
which holds because the shared initial weights make D's outputs ≈ 0.5 for any z).
"""
import argparse
import contextlib
import io
import os
import re
import runpy
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp.data import datasets as dsmod
from tinygrad_jp.data._store import Resource
from tinygrad_jp.data.idx import write_idx

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _has_device_api():
    """The lead's device API (tg.device(...), tg.accelerator, tg.cuda, device= on
    factories): the scripts' main() functions need it, as PyTorch's do."""
    try:
        tg.device("cpu")
        tg.zeros(1, device="cpu")
        return hasattr(tg, "accelerator") and hasattr(tg, "cuda")
    except (TypeError, AttributeError):
        return False


needs_device_api = pytest.mark.skipif(
    not _has_device_api(),
    reason="needs the device API on main (tg.device('cpu'), tg.accelerator.is_available(), "
           "tg.cuda.is_available(), device= in tg.full / tg.randn)")


def load(name, framework):
    """examples/<name>/main.py as a module, on tinygrad_jp or (imports changed back) on
    torch; without torchvision its data imports become None (the models and the
    training functions do not use them)."""
    source = (EXAMPLES / name / "main.py").read_text(encoding="utf-8")
    if framework == "torch":
        try:
            import torchvision  # noqa: F401
            has_torchvision = True
        except ImportError:
            has_torchvision = False

        def vision(m):
            if has_torchvision:
                return f"from torchvision import {m.group(1)}"
            bound = [part.split(" as ")[-1].strip() for part in m.group(1).split(",")]
            return " = ".join(bound) + " = None"

        source = re.sub(r"^from tinygrad_jp\.vision import (.+)$", vision, source, flags=re.M)
        source = source.replace("tinygrad_jp", "torch")
    module = types.ModuleType(f"example_{name}_{framework}")
    exec(compile(source, str(EXAMPLES / name / "main.py"), "exec"), module.__dict__)
    return module


def same_weights(torch, ours, theirs):
    """Copy torch's initial weights (and buffers) into our model."""
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def no_dropout(*models):
    for model in models:
        for m in model.modules():
            if type(m).__name__.startswith("Dropout"):
                m.p = 0.0


def printed_numbers(fn, *args, pattern=r"[Ll]oss[:_ A-Za-z]*?:? ([-0-9.]+)"):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args)
    return [float(v) for v in re.findall(pattern, out.getvalue())], out.getvalue(), result


def run_script(name, argv, cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name / "main.py"), *argv])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(EXAMPLES / name / "main.py"), run_name="__main__")
    return out.getvalue()


@pytest.fixture
def mnist_root(tmp_path, monkeypatch):
    """A small MNIST in torchvision's layout, tmp_path/data/MNIST/raw (the examples'
    root is '../data' from tmp_path/work), accepted by a patched checksum list."""
    raw = tmp_path / "data" / "MNIST" / "raw"
    os.makedirs(raw)
    os.makedirs(tmp_path / "work")
    rng = np.random.default_rng(0)
    hashes = {}
    for split, n in (("train", 48), ("test", 20)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, arr in (("images", images), ("labels", labels)):
            key = f"{split}_{kind}"
            path = write_idx(str(raw / dsmod._IDX_FILES[key]), arr)
            hashes[key] = dsmod._store.sha256_file(path)
    resources = {k: Resource(dsmod._IDX_FILES[k], {h: "test copy"}) for k, h in hashes.items()}
    spec = dsmod._MNIST.__class__(**{**dsmod._MNIST.__dict__, "resources": resources,
                                     "mirrors": ()})
    monkeypatch.setattr(dsmod.MNIST, "_spec", spec)
    monkeypatch.delenv("TINYGRAD_JP_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _loaders(torch, x, y, batch_size):
    ours = tg.utils.data.DataLoader(tg.utils.data.TensorDataset(x, y), batch_size=batch_size)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=batch_size)
    return ours, theirs


# ---- PyTorch's MNIST example -------------------------------------------------------------

def test_mnist_example_first_losses_match_torch():
    torch = pytest.importorskip("torch")
    ours_m, theirs_m = load("mnist", "tinygrad_jp"), load("mnist", "torch")
    torch.manual_seed(0)
    theirs = theirs_m.Net()
    ours = ours_m.Net()
    same_weights(torch, ours, theirs)
    no_dropout(ours, theirs)
    rng = np.random.default_rng(1)
    x = ((rng.random((24, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
    y = rng.integers(0, 10, 24)
    args = argparse.Namespace(log_interval=1, dry_run=False)
    results = []
    for module, model, fw in ((ours_m, ours, tg), (theirs_m, theirs, torch)):
        loader, _ = _loaders(torch, x, y, 8) if fw is tg else _loaders(torch, x, y, 8)[::-1]
        optimizer = fw.optim.Adadelta(model.parameters(), lr=1.0)
        losses, _, _ = printed_numbers(module.train, args, model, "cpu", loader, optimizer, 1)
        test_loss, text, _ = printed_numbers(module.test, model, "cpu", loader,
                                             pattern=r"Average loss: ([0-9.]+)")
        results.append((losses, test_loss, re.search(r"Accuracy: (\d+)", text).group(1)))
    (ours_losses, ours_test, ours_acc), (ref_losses, ref_test, ref_acc) = results
    assert len(ours_losses) == 3
    np.testing.assert_allclose(ours_losses, ref_losses, rtol=2e-4)
    np.testing.assert_allclose(ours_test, ref_test, rtol=2e-3)     # printed with 4 digits
    assert ours_acc == ref_acc


@needs_device_api
def test_mnist_example_runs_as_written(mnist_root, monkeypatch):
    out = run_script("mnist", ["--epochs", "1", "--batch-size", "16", "--test-batch-size",
                               "20", "--log-interval", "1", "--no-accel"],
                     mnist_root / "work", monkeypatch)
    assert out.count("Train Epoch: 1") == 3 and "Test set: Average loss" in out


# ---- a CIFAR-10 CNN ----------------------------------------------------------------------

def test_cifar_example_first_losses_match_torch():
    torch = pytest.importorskip("torch")
    ours_m, theirs_m = load("cifar10", "tinygrad_jp"), load("cifar10", "torch")
    torch.manual_seed(0)
    theirs, ours = theirs_m.Net(), ours_m.Net()
    same_weights(torch, ours, theirs)
    no_dropout(ours, theirs)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((24, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 24)
    runs = []
    for module, model, fw, loader in ((ours_m, ours, tg, _loaders(torch, x, y, 8)[0]),
                                      (theirs_m, theirs, torch, _loaders(torch, x, y, 8)[1])):
        criterion = fw.nn.CrossEntropyLoss()
        optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        losses, _, _ = printed_numbers(module.train_one_epoch, model, loader, criterion,
                                       optimizer, "cpu", 0, 1)
        _, _, accuracy = printed_numbers(module.evaluate, model, loader, "cpu")
        runs.append((losses, accuracy))
    assert len(runs[0][0]) == 3
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=2e-4)
    assert runs[0][1] == runs[1][1]


@needs_device_api
def test_cifar_example_runs_as_written(tmp_path, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
    from tgdata_helpers import make_cifar_archive, sha
    monkeypatch.setattr(dsmod, "_CIFAR_RECORDS", 4)
    archive, _, _ = make_cifar_archive(str(tmp_path / "data" / "cifar-10-binary.tar.gz"))
    res = Resource(dsmod._CIFAR.resources["archive"].filename, {sha(archive): "test"})
    monkeypatch.setattr(dsmod, "_CIFAR", dsmod._CIFAR.__class__(
        **{**dsmod._CIFAR.__dict__, "resources": {"archive": res}, "mirrors": ()}))
    out = run_script("cifar10", ["--data", str(tmp_path / "data"), "--epochs", "1",
                                 "--batch-size", "8", "--workers", "2", "--log-every", "1"],
                     tmp_path, monkeypatch)
    assert out.count("loss:") == 3 and "Accuracy of the network on the 4 test images" in out


# ---- a DCGAN -----------------------------------------------------------------------------

def _gan_pair(torch, nz=8, ngf=4, ndf=4):
    ours_m, theirs_m = load("dcgan", "tinygrad_jp"), load("dcgan", "torch")
    torch.manual_seed(0)
    nets = []
    for module in (theirs_m, ours_m):
        g, d = module.Generator(nz, ngf, 1), module.Discriminator(ndf, 1)
        g.apply(module.weights_init)
        d.apply(module.weights_init)
        nets.append((g, d))
    (tg_g, tg_d), (t_g, t_d) = nets[1], nets[0]
    same_weights(torch, tg_g, t_g)
    same_weights(torch, tg_d, t_d)
    return ours_m, theirs_m, (tg_g, tg_d), (t_g, t_d)


def test_dcgan_example_networks_and_losses_match_torch():
    torch = pytest.importorskip("torch")
    _, _, (g, d), (tg_, td) = _gan_pair(torch)
    z = np.random.default_rng(3).standard_normal((6, 8, 1, 1)).astype(np.float32)
    fake, ref_fake = g(tg.tensor(z)), tg_(torch.tensor(z))
    assert fake.shape == (6, 1, 28, 28)
    np.testing.assert_allclose(fake.detach().numpy(), ref_fake.detach().numpy(), atol=1e-5)
    out, ref = d(fake), td(ref_fake)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-4)
    ones = np.ones(6, np.float32)
    loss = tg.nn.BCELoss()(out, tg.tensor(ones))
    ref_loss = torch.nn.BCELoss()(ref, torch.tensor(ones))
    loss.backward()
    ref_loss.backward()
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-5)
    for (name, p), (_, tp) in zip(g.named_parameters(), tg_.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-3, atol=1e-6,
                                   err_msg=name)


@needs_device_api
def test_dcgan_example_first_losses_match_torch(mnist_root):
    torch = pytest.importorskip("torch")
    ours_m, theirs_m, ours, theirs = _gan_pair(torch)
    x = np.random.default_rng(4).uniform(-1, 1, (16, 1, 28, 28)).astype(np.float32)
    y = np.zeros(16, np.int64)
    opt = argparse.Namespace(nz=8, niter=1, dry_run=True)
    firsts = []
    for module, (g, d), fw, loader in ((ours_m, ours, tg, _loaders(torch, x, y, 16)[0]),
                                       (theirs_m, theirs, torch, _loaders(torch, x, y, 16)[1])):
        opt_d = fw.optim.Adam(d.parameters(), lr=0.0002, betas=(0.5, 0.999))
        opt_g = fw.optim.Adam(g.parameters(), lr=0.0002, betas=(0.5, 0.999))
        _, text, _ = printed_numbers(module.train, opt, g, d, loader, "cpu", opt_d, opt_g,
                                     fw.nn.BCELoss(), 0)
        firsts.append([float(v) for v in re.findall(r"Loss_[DG]: ([0-9.]+)", text)])
    np.testing.assert_allclose(firsts[0], firsts[1], atol=0.05)


@needs_device_api
def test_dcgan_example_runs_as_written(mnist_root, monkeypatch):
    out = run_script("dcgan", ["--dataset", "mnist", "--dataroot", "../data", "--workers", "0",
                               "--batchSize", "8", "--nz", "8", "--ngf", "4", "--ndf", "4",
                               "--niter", "1", "--dry-run", "--manualSeed", "1"],
                     mnist_root / "work", monkeypatch)
    assert out.count("Loss_D:") == 1


# ---- a tiny attention model --------------------------------------------------------------

def test_attention_example_first_losses_match_torch():
    torch = pytest.importorskip("torch")
    ours_m, theirs_m = load("attention", "tinygrad_jp"), load("attention", "torch")
    torch.manual_seed(0)
    theirs = theirs_m.TinyTransformer(16, 8, d_model=16, n_head=4, n_layer=2)
    ours = ours_m.TinyTransformer(16, 8, d_model=16, n_head=4, n_layer=2)
    same_weights(torch, ours, theirs)
    rng = np.random.default_rng(5)
    batches = [rng.integers(0, 16, (4, 9)) for _ in range(3)]
    losses = []
    for model, fw in ((ours, tg), (theirs, torch)):
        optimizer = fw.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
        run = []
        for seq in batches:
            _, loss = model(fw.tensor(seq[:, :-1]), fw.tensor(seq[:, 1:]))
            optimizer.zero_grad()
            loss.backward()
            fw.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            run.append(loss.item())
        model.eval()
        run.append(model.generate(fw.tensor([[3, 4, 5]]), 4)[0].tolist())
        losses.append(run)
    np.testing.assert_allclose(losses[0][:3], losses[1][:3], rtol=1e-4)
    assert losses[0][3] == losses[1][3]


def test_attention_example_runs_as_written(tmp_path, monkeypatch):
    out = run_script("attention", ["--dry-run", "--d-model", "16", "--batch-size", "8"],
                     tmp_path, monkeypatch)
    assert out.count("step") == 2 and "continue 3 4 5:" in out
