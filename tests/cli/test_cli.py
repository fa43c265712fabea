"""The `tinygrad-jp` command line: help, bad input, train (+ resume, Ctrl-C), graph,
experiment. Training runs use `--smoke` (600 / 300 images), a second or two each."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_jp.app import cli
from tinygrad_jp.experiments import base
from tinygrad_jp.models import MultiLayerNet
from tinygrad_jp.serialization import load
from tinygrad_jp.train import History

MINE = ("vanishing-gradient", "weight-init", "optimizers", "batch-norm")
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="renders with Graphviz's `dot` program, "
                                                    "which is not installed")


def cli_env(**extra):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    env.pop("LANG", None)
    env.pop("LC_ALL", None)
    env.update(extra)
    return env


def run_module(cwd, *args, **popen):
    return subprocess.run([sys.executable, "-m", "tinygrad_jp", *args], cwd=cwd,
                          env=popen.pop("env", cli_env()), capture_output=True, text=True,
                          timeout=300, **popen)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    for var in ("LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)


# ----------------------------------------------------------------------------- help
def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for word in ("train", "graph", "experiment", "tinygrad-jp experiment vanishing-gradient"):
        assert word in out


def test_no_arguments_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: tinygrad-jp" in capsys.readouterr().out


def test_python_m_tinygrad_jp_and_the_console_script(tmp_path):
    p = run_module(tmp_path)
    assert p.returncode == 0 and "usage: tinygrad-jp" in p.stdout
    script = Path(sys.executable).parent / ("tinygrad-jp.exe" if os.name == "nt"
                                            else "tinygrad-jp")
    if not script.exists():
        pytest.skip("the package is not installed with its console script here")
    p = subprocess.run([str(script), "experiment", "--list"], capture_output=True,
                       text=True, env=cli_env(), timeout=120)
    assert p.returncode == 0 and "vanishing-gradient" in p.stdout


def test_japanese_help(capsys, monkeypatch):
    with pytest.raises(SystemExit):
        cli.main(["--lang", "ja", "train", "--help"])
    assert "最適化手法" in capsys.readouterr().out
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "カリキュラム" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--lang", "en", "--help"])       # --lang wins over LANG
    assert "カリキュラム" not in capsys.readouterr().out


def test_demo_runs(capsys, monkeypatch):
    import tinygrad_jp.app.demo as entry
    monkeypatch.setattr(entry, "demo", lambda: print("demo ran"))
    assert cli.main(["demo"]) == 0
    assert "demo ran" in capsys.readouterr().out


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("argv, names", [
    (["train", "--model", "resnet"], cli.MODELS),
    (["train", "--dataset", "imagenet"], cli.DATASETS),
    (["train", "--optimizer", "lion"], cli.OPTIMIZERS),
    (["graph", "--model", "vgg19"], cli.MODELS),
    (["experiment", "vanishing"], MINE),
])
def test_unknown_names_list_the_valid_ones(argv, names, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    for name in names:
        assert name in err


@pytest.mark.parametrize("model, needs", [("resnet18", "resnet20"), ("alexnet", "63×63"),
                                          ("vgg16", "32×32")])
def test_models_that_do_not_fit_28x28_explain_themselves(model, needs, tmp_path, capsys):
    code = cli.main(["train", "--model", model, "--smoke", "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--model {model} does not fit 1-channel 28×28 images" in err
    assert needs in err and "--resize" in err


def test_graph_checks_the_same_compatibility(tmp_path, capsys):
    assert cli.main(["graph", "--model", "resnet18", "--out", str(tmp_path / "g.svg")]) == 2
    assert "resnet20" in capsys.readouterr().err


def test_bad_numbers_are_refused(tmp_path, capsys):
    for argv, msg in ((["--epochs", "0"], "--epochs"), (["--lr", "-1"], "--lr"),
                      (["--batch-size", "0"], "--batch-size"), (["--resize", "0"], "--resize")):
        assert cli.main(["train", "--model", "mlp", "--smoke", "--out",
                         str(tmp_path / "o"), "--force", *argv]) == 2
        assert msg in capsys.readouterr().err


def test_missing_data_set_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGRAD_JP_DATA", str(tmp_path / "nodata"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nocache"))
    assert cli.main(["train", "--model", "mlp", "--dataset", "mnist", "--out",
                     str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "'mnist' is not available" in err and "--dataset sample" in err
    # The hint names the command line's option, not the Python argument.
    assert "download=True" not in err and "pass --download" in err


def test_download_option_fetches_through_the_data_sets(tmp_path, monkeypatch, capsys):
    from tinygrad_jp.data import _store
    monkeypatch.setenv("TINYGRAD_JP_DATA", str(tmp_path / "nodata"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nocache"))
    asked = []

    def offline(spec, res, target_dir):
        asked.append((spec.name, res.filename, target_dir))
        raise _store.DatasetNotFoundError(f"{res.filename}: no network here")
    monkeypatch.setattr(_store, "download_file", offline)
    # a machine with Debian's dataset-fashion-mnist (CI) would find the files there
    real_dirs = _store._candidate_dirs
    monkeypatch.setattr(_store, "_candidate_dirs", lambda spec, root: [
        (label, d) for label, d in real_dirs(spec, root) if label != "system package"])
    assert cli.main(["train", "--model", "mlp", "--dataset", "mnist", "--download", "--out",
                     str(tmp_path / "o")]) == 2
    assert asked and "no network here" in capsys.readouterr().err
    asked.clear()
    assert cli.main(["experiment", "weight-init", "--full", "--download", "--out",
                     str(tmp_path / "e")]) == 2
    assert asked and asked[0][0].lower().startswith("fashion")
    assert "could not be fetched" in capsys.readouterr().err
    assert cli.main(["experiment", "weight-init", "--download"]) == 2
    assert "--download goes with --full" in capsys.readouterr().err
    assert cli.main(["train", "--download", "--out", str(tmp_path / "s")]) == 2
    assert "nothing to download" in capsys.readouterr().err


# ---------------------------------------------------------------------------- train
def test_train_writes_weights_history_curves_summary_and_graph(tmp_path, capsys):
    out = tmp_path / "mlp"
    assert cli.main(["train", "--model", "mlp", "--optimizer", "momentum", "--smoke",
                     "--epochs", "2", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    acc = float(stdout.split("test accuracy: ")[1].split()[0])
    assert 0.3 < acc <= 1.0
    for name in ("model.safetensors", "history.json", "history.csv", "curves.png",
                 "summary.txt", "run.json"):
        assert (out / name).is_file(), name
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    if HAVE_DOT:
        assert "<svg" in (out / "graph.svg").read_text()
    else:       # without Graphviz the DOT source is written, and the output says so
        assert not (out / "graph.svg").exists()
        assert "digraph" in (out / "graph.dot").read_text()
        assert "graph.dot" in stdout and "not installed" in stdout
    summary = (out / "summary.txt").read_text()
    assert "89,610" in summary                               # 784·100+100 + ... + 10
    hist = History.from_json(out / "history.json")
    assert len(hist["val_acc"]) == 2 and hist["val_acc"][-1] == pytest.approx(acc, abs=1e-4)
    rows = (out / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 3 and "train_loss" in rows[0]
    net = MultiLayerNet(784, [100, 100], 10)
    net.load_state_dict(load(out / "model.safetensors"))       # the weights fit the model
    assert (out / "checkpoints" / "latest").is_file()


def test_resume_continues_the_run_and_checks_its_settings(tmp_path, capsys):
    out = tmp_path / "run"
    base_args = ["train", "--model", "mlp", "--smoke", "--out", str(out)]
    assert cli.main(base_args + ["--epochs", "1"]) == 0
    w1 = load(out / "model.safetensors")["affine1.weight"].data.copy()
    assert cli.main(base_args + ["--epochs", "2", "--resume"]) == 0
    out_text = capsys.readouterr().out
    assert "resuming" in out_text
    assert len(History.from_json(out / "history.json")["train_loss"]) == 2
    assert not np.array_equal(load(out / "model.safetensors")["affine1.weight"].data, w1)
    # Another model, dataset or optimizer cannot continue this run.
    assert cli.main(["train", "--model", "lenet", "--smoke", "--out", str(out), "--epochs",
                     "3", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "--model mlp, not lenet" in err and "another --out" in err
    assert cli.main(base_args + ["--optimizer", "sgd", "--epochs", "3", "--resume"]) == 2
    assert "--optimizer adam, not sgd" in capsys.readouterr().err
    # Nothing to resume in an empty folder.
    assert cli.main(["train", "--model", "mlp", "--smoke", "--out", str(tmp_path / "new"),
                     "--resume"]) == 2
    assert "no run" in capsys.readouterr().err
    # Running the same command again replaces the previous run, and says which.
    assert cli.main(base_args + ["--epochs", "1"]) == 0
    assert "replaces the previous run" in capsys.readouterr().out
    assert len(History.from_json(out / "history.json")["train_loss"]) == 1
    # A file that is not the run's is never deleted: refused without --force.
    (out / "notes.txt").write_text("mine")
    assert cli.main(base_args + ["--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "--force" in err and "--resume" in err
    assert cli.main(base_args + ["--epochs", "1", "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path, capsys):
    from tinygrad_jp.experiments.run_folder import RunFolder
    out = tmp_path / "busy"
    with RunFolder(out, kind="train", command="tinygrad-jp train (the first)"):
        assert cli.main(["train", "--model", "mlp", "--smoke", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another run is writing into" in err and "the first" in err
        assert cli.main(["experiment", "weight-init", "--smoke", "--out", str(out)]) == 2
        assert "another run is writing into" in capsys.readouterr().err


def test_cosine_schedule_lowers_the_learning_rate_each_epoch(tmp_path, capsys):
    out = tmp_path / "cos"
    assert cli.main(["train", "--model", "mlp", "--smoke", "--epochs", "3", "--lr", "0.01",
                     "--lr-schedule", "cosine", "--out", str(out)]) == 0
    lrs = History.from_json(out / "history.json")["lr"]
    # CosineAnnealingLR(T_max=3): lr·(1 + cos(π·e/3))/2 during epoch e
    assert lrs == pytest.approx([0.01, 0.0075, 0.0025])
    assert json.loads((out / "run.json").read_text())["lr_schedule"] == "cosine"
    # the schedule is part of the run: resuming without it is refused
    assert cli.main(["train", "--model", "mlp", "--smoke", "--epochs", "4", "--out",
                     str(out), "--resume"]) == 2
    assert "--lr-schedule cosine, not constant" in capsys.readouterr().err


def test_standardize_uses_the_training_sets_statistics(tmp_path, capsys):
    train_ds, _ = cli.load_dataset("sample", smoke=True)
    normalize = cli._standardizer(train_ds)
    pixels = train_ds.data.astype(np.float64) / 255.0
    assert normalize.mean == pytest.approx([pixels.mean()], rel=1e-9)
    assert normalize.std == pytest.approx([pixels.std()], rel=1e-9)
    batch = normalize(pixels[:300].astype(np.float32))
    assert abs(float(batch.mean())) < 0.1 and 0.9 < float(batch.std()) < 1.1
    out = tmp_path / "std"
    assert cli.main(["train", "--model", "mlp", "--smoke", "--epochs", "1", "--standardize",
                     "--out", str(out)]) == 0
    assert json.loads((out / "run.json").read_text())["standardize"] is True
    assert cli.main(["train", "--model", "mlp", "--smoke", "--epochs", "2", "--out",
                     str(out), "--resume"]) == 2
    assert "--standardize True, not False" in capsys.readouterr().err


def test_dropout_option_sets_the_models_dropout_layers():
    from tinygrad_jp import nn
    net = cli.build_model("deep_cnn", (1, 28, 28), dropout=0.25)
    ratios = [m.p for m in net.modules() if isinstance(m, nn.Dropout)]
    assert ratios == [0.25, 0.25]
    mlp = cli.build_model("mlp", (1, 28, 28), dropout=0.1)
    assert [m.p for m in mlp.modules() if isinstance(m, nn.Dropout)] == [0.1, 0.1]
    with pytest.raises(cli.CLIError, match="simple_cnn has no dropout layers"):
        cli.build_model("simple_cnn", (1, 28, 28), dropout=0.3)
    with pytest.raises(cli.CLIError, match=r"\[0, 1\)"):
        cli.build_model("deep_cnn", (1, 28, 28), dropout=1.0)


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_leaves_a_checkpoint_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-m", "tinygrad_jp", "train", "--model", "mlp",
                          "--smoke", "--epochs", "200", "--out", str(out)], cwd=tmp_path,
                         env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True,
                         # a shell's background job ignores SIGINT, and a child would too
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / "checkpoints" / "latest").exists():
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "interrupted after" in err and "resume with:" in err
    command = err.split("resume with:")[1].strip().splitlines()[0]
    assert command.startswith("tinygrad-jp train --model mlp") and "--resume" in command
    assert not (out / "model.safetensors").exists()      # only the checkpoint is left
    # The printed command works (with fewer epochs, to keep the test short).
    args = command.split()[1:]
    args[args.index("--epochs") + 1] = "3"
    p2 = run_module(tmp_path, *args)
    assert p2.returncode == 0, p2.stderr
    assert (out / "model.safetensors").is_file()


# ---------------------------------------------------------------------------- graph
@needs_dot
def test_graph_renders_the_model_grouped_by_module(tmp_path, capsys):
    path = tmp_path / "lenet.svg"
    assert cli.main(["graph", "--model", "lenet", "--out", str(path)]) == 0
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:500]
    for module in ("conv1", "conv2", "fc3"):
        assert module in svg
    assert cli.main(["graph", "--model", "lenet", "--out", str(path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["graph", "--model", "lenet", "--out", str(path), "--force",
                     "--max-depth", "1"]) == 0
    assert cli.main(["graph", "--model", "mlp", "--out", str(tmp_path / "g.jpg")]) == 2
    assert ".svg" in capsys.readouterr().err


def test_graph_without_dot_writes_the_dot_source(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    p = run_module(tmp_path, "graph", "--model", "mlp", "--out", "g.svg",
                   env=cli_env(PATH=str(empty)))
    assert p.returncode == 0, p.stderr
    assert not (tmp_path / "g.svg").exists()
    assert "digraph" in (tmp_path / "g.dot").read_text()
    assert "not installed" in p.stdout and "g.dot" in p.stdout
    assert "dot -Tsvg g.dot -o g.svg" in p.stdout
    # The suggested command makes the format that was asked for.
    p = run_module(tmp_path, "graph", "--model", "mlp", "--out", "x.png",
                   env=cli_env(PATH=str(empty)))
    assert p.returncode == 0, p.stderr
    assert "dot -Tpng x.dot -o x.png" in p.stdout and "-Tsvg" not in p.stdout


@needs_dot
def test_graph_of_a_cifar_resnet(tmp_path):
    path = tmp_path / "r.png"
    assert cli.main(["graph", "--model", "resnet20", "--dataset", "cifar10", "--out",
                     str(path), "--max-depth", "2"]) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------------- experiment
def test_experiment_list(capsys):
    assert cli.main(["experiment", "--list"]) == 0
    out = capsys.readouterr().out
    for name in MINE:
        assert name in out
    assert cli.main(["experiment"]) == 2          # no name: the list, and a usage error
    assert "give an experiment NAME" in capsys.readouterr().out


def test_experiment_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("keep")
    assert cli.main(["experiment", "weight-init", "--smoke", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "x.txt").read_text() == "keep"
    assert cli.main(["experiment", "weight-init", "--full", "--smoke", "--out",
                     str(tmp_path / "n")]) == 2
    assert "exclude" in capsys.readouterr().err


@pytest.fixture
def optioned():
    seen = {}

    @base.register("option-test", summary="an experiment with an option",
                   options={"wide_net": dict(action="store_true", help="(option-test only)")})
    def run(out_dir, full=False, smoke=False, seed=0, wide_net=False):
        seen["wide_net"] = wide_net
        return base.Report("option-test", out_dir, "T", smoke=smoke, seed=seed)

    yield seen
    base._REGISTRY.pop("option-test", None)


def test_experiment_options_reach_their_experiment_only(optioned, tmp_path, capsys):
    assert cli.main(["experiment", "option-test", "--wide-net", "--out",
                     str(tmp_path / "a")]) == 0
    assert optioned["wide_net"] is True
    assert (tmp_path / "a" / "report.md").is_file()
    assert cli.main(["experiment", "weight-init", "--wide-net", "--out",
                     str(tmp_path / "b")]) == 2
    assert "--wide-net applies to the experiment(s) option-test" in capsys.readouterr().err
