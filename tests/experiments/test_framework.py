"""The experiment framework: registry, Report, output folders, data, the curriculum loop."""
import json

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import experiments, optim
from tinygrad_jp.experiments import base
from tinygrad_jp.models import MultiLayerNet

MINE = ("vanishing-gradient", "weight-init", "optimizers", "batch-norm")


@pytest.fixture
def dummy():
    """A throw-away experiment registered for one test."""
    calls = []

    @base.register("dummy-test", summary="a test experiment",
                   options={"flag": dict(action="store_true", help="x")})
    def run(out_dir, full=False, smoke=False, seed=0, flag=False):
        calls.append(dict(full=full, smoke=smoke, seed=seed, flag=flag,
                          rand=float(tg.randn(1).item())))
        r = base.Report("dummy-test", out_dir, "Dummy", full=full, smoke=smoke, seed=seed)
        from matplotlib.figure import Figure
        fig = Figure()
        fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
        r.figure("line.png", fig, "a line")
        r.table(["a", "b"], [[1, 0.5], ["x", 1e-7]], caption="numbers")
        r.effect("the line goes down", True, "slope -1")
        r.effect("the line goes up", False, "it does not")
        r.result("slope", np.float32(-1))
        r.setting("flag", flag)
        return r

    yield calls
    base._REGISTRY.pop("dummy-test", None)


def test_registry_lists_the_curriculum_experiments():
    names = experiments.names()
    assert names == sorted(names)
    for name in MINE:
        assert name in names
        exp = experiments.get(name)
        assert exp.summary and callable(exp.run)


def test_unknown_experiment_lists_the_valid_names():
    with pytest.raises(KeyError) as e:
        experiments.get("vanishing")
    for name in MINE:
        assert name in str(e.value)


def test_register_rejects_bad_names_and_duplicates(dummy):
    with pytest.raises(ValueError, match="lower-case"):
        base.register("Bad Name", summary="x")
    with pytest.raises(ValueError, match="summary"):
        base.register("ok-name", summary="")
    with pytest.raises(ValueError, match="already exists"):
        base.register("dummy-test", summary="again")(lambda out_dir: None)


def test_run_experiment_writes_report_results_and_figures(dummy, tmp_path):
    out = tmp_path / "run"
    report = experiments.run_experiment("dummy-test", out_dir=out, seed=3, flag=True)
    assert report.elapsed is not None and report.elapsed >= 0
    assert dummy[0] == dict(full=False, smoke=False, seed=3, flag=True,
                            rand=dummy[0]["rand"])
    data = experiments.check_report(out)
    assert data["results"]["slope"] == -1.0
    assert data["settings"]["seed"] == 3 and data["settings"]["flag"] is True
    assert data["all_shown"] is False
    assert [e["shown"] for e in data["effects"]] == [True, False]
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "![a line](line.png)" in text          # relative link
    assert "the line goes down — **shown**" in text
    assert "the line goes up — **not shown**" in text
    assert "| a | b |" in text and "| 1 | 0.5 |" in text and "1.000e-07" in text
    assert "## Timing" in text


def test_run_experiment_seeds_the_global_generator(dummy, tmp_path):
    experiments.run_experiment("dummy-test", out_dir=tmp_path / "a", seed=5)
    experiments.run_experiment("dummy-test", out_dir=tmp_path / "b", seed=5)
    experiments.run_experiment("dummy-test", out_dir=tmp_path / "c", seed=6)
    assert dummy[0]["rand"] == dummy[1]["rand"] != dummy[2]["rand"]


def test_output_folder_is_not_overwritten_without_force(dummy, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(experiments.OutputExistsError, match="--force"):
        experiments.run_experiment("dummy-test", out_dir=out)
    assert not (out / "report.md").exists()
    experiments.run_experiment("dummy-test", out_dir=out, force=True)
    assert (out / "report.md").is_file()
    assert (out / "keep.txt").read_text() == "mine"     # --force deletes nothing
    (tmp_path / "file").write_text("x")
    with pytest.raises(experiments.OutputExistsError, match="not a folder"):
        experiments.prepare_out_dir(tmp_path / "file")
    assert experiments.prepare_out_dir(tmp_path / "empty").is_dir()
    assert experiments.prepare_out_dir(tmp_path / "empty").is_dir()   # empty is fine


def test_rerunning_replaces_the_previous_run_and_says_so(dummy, tmp_path):
    out = tmp_path / "run"
    first = experiments.run_experiment("dummy-test", out_dir=out, seed=1)
    assert first.replaced is None
    (out / "line.png").write_bytes(b"\x89PNG\r\n\x1a\nold")
    second = experiments.run_experiment("dummy-test", out_dir=out, seed=2)
    assert second.replaced and "previous run" in second.replaced
    assert "seed 1" in second.replaced or "dummy-test" in second.replaced
    assert (out / "line.png").read_bytes() != b"\x89PNG\r\n\x1a\nold"
    assert "replaces the previous run" in (out / "report.md").read_text(encoding="utf-8")
    assert json.loads((out / "results.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == \
        ["run"]                                  # no staging folder left behind


def test_a_failing_rerun_leaves_the_previous_run_as_it_was(dummy, tmp_path, monkeypatch):
    out = tmp_path / "run"
    experiments.run_experiment("dummy-test", out_dir=out, seed=1)
    before = (out / "report.md").read_text(encoding="utf-8")

    def broken(*a, **k):
        raise RuntimeError("boom")
    monkeypatch.setattr(base.Report, "write", broken)
    with pytest.raises(RuntimeError, match="boom"):
        experiments.run_experiment("dummy-test", out_dir=out, seed=2)
    assert (out / "report.md").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == \
        ["run"]


def test_two_runs_into_one_folder_at_once_are_refused(dummy, tmp_path):
    out = tmp_path / "run"
    from tinygrad_jp.experiments.run_folder import RunFolder
    with RunFolder(out, kind="experiment dummy-test", command="first", stage=True):
        with pytest.raises(experiments.RunLockedError) as e:
            experiments.run_experiment("dummy-test", out_dir=out)
        assert str(out) in str(e.value) and "first" in str(e.value)
        assert f"pid {__import__('os').getpid()}" in str(e.value)
    experiments.run_experiment("dummy-test", out_dir=out)      # free again afterwards


def test_the_lock_is_held_across_processes(dummy, tmp_path):
    import subprocess
    import sys
    import textwrap
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from tinygrad_jp.experiments.run_folder import RunFolder
        with RunFolder({str(out)!r}, kind="experiment dummy-test", command="holder",
                       stage=True):
            print("locked", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(experiments.RunLockedError, match="holder"):
            experiments.run_experiment("dummy-test", out_dir=out)
    finally:
        holder.communicate("\n", timeout=60)
    experiments.run_experiment("dummy-test", out_dir=out)


def test_run_experiment_rejects_unknown_options_and_full_with_smoke(dummy, tmp_path):
    with pytest.raises(TypeError, match="--flag"):
        experiments.run_experiment("dummy-test", out_dir=tmp_path / "a", colour=1)
    with pytest.raises(ValueError, match="exclude"):
        experiments.run_experiment("dummy-test", out_dir=tmp_path / "b", full=True,
                                   smoke=True)


def test_report_checks_its_inputs(tmp_path):
    r = base.Report("x", tmp_path, "X")
    with pytest.raises(ValueError, match="2 headers"):
        r.table(["a", "b"], [[1, 2, 3]])
    with pytest.raises(ValueError, match="not in the output folder"):
        r.figure("f.png", tmp_path.parent / "elsewhere.png", "c")
    (tmp_path / "other.png").write_bytes(b"x")
    with pytest.raises(FileNotFoundError):
        r.figure("f.png", tmp_path / "f.png", "not written")


def test_check_report_finds_a_missing_figure(dummy, tmp_path):
    out = tmp_path / "run"
    experiments.run_experiment("dummy-test", out_dir=out)
    (out / "line.png").unlink()
    with pytest.raises(AssertionError, match="line.png"):
        experiments.check_report(out)


def test_load_data_sample_smoke_and_balanced_subsets():
    d = experiments.load_data()
    assert d.x_train.shape == (10000, 784) and d.x_test.shape == (2000, 784)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    assert "sample" in d.description and len(d.class_names) == 10
    s = experiments.load_data(smoke=True, flatten=False)
    assert s.x_train.shape == (base.SMOKE_TRAIN, 1, 28, 28)
    assert len(s.x_test) == base.SMOKE_TEST
    small = experiments.load_data(n_train=300, n_test=50, seed=1)
    assert len(small.x_train) == 300 and len(small.x_test) == 50
    counts = np.bincount(small.t_train, minlength=10)
    assert counts.min() == counts.max() == 30                 # class-balanced
    again = experiments.load_data(n_train=300, n_test=50, seed=1)
    np.testing.assert_array_equal(small.x_train, again.x_train)
    other = experiments.load_data(n_train=300, n_test=50, seed=2)
    assert not np.array_equal(small.x_train, other.x_train)


def _tiny_data():
    g = np.random.default_rng(0)
    x = g.standard_normal((200, 20)).astype(np.float32)
    t = (x[:, 0] > 0).astype(np.int64)
    return base.Data(x[:150], t[:150], x[150:], t[150:], "toy")


def test_train_classifier_records_accuracies_and_gradient_norms():
    data = _tiny_data()
    tg.manual_seed(0)
    net = MultiLayerNet(20, [16], 2, activation="relu", weight_init_std="he")
    opt = optim.SGD(net.parameters(), lr=0.1)
    layers = {f"layer {i + 1}": lin.weight for i, lin in enumerate(net.linears)}
    r = experiments.train_classifier(net, opt, data, 95, batch_size=20, eval_every=10,
                                     eval_train_size=100, grad_layers=layers)
    assert r.steps == [10, 20, 30, 40, 50, 60, 70, 80, 90, 95]
    assert len(r.train_acc) == len(r.test_acc) == 10 and len(r.loss) == 95
    assert all(0 <= a <= 1 for a in r.train_acc + r.test_acc)
    assert r.final_test_acc > 0.8                    # the toy problem is linear
    assert set(r.grad_norms) == {"layer 1", "layer 2"}
    assert all(len(v) == 10 and min(v) > 0 for v in r.grad_norms.values())
    assert not r.diverged
    json.dumps(r.to_dict())
    assert net.training                              # restored to training mode


def test_train_classifier_stops_on_divergence_without_warnings(recwarn):
    data = _tiny_data()
    tg.manual_seed(0)
    net = MultiLayerNet(20, [16, 16], 2, activation="relu", weight_init_std=30.0)
    opt = optim.SGD(net.parameters(), lr=1e6)
    r = experiments.train_classifier(net, opt, data, 200, batch_size=20, eval_every=50)
    assert r.diverged and len(r.loss) < 200 and not np.isfinite(r.loss[-1])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_plot_curve_grid_saves_a_png(tmp_path):
    panels = {f"run {i}": {"train": ([1, 2, 3], [0.1, 0.5, 0.9]),
                           "test": ([1, 2, 3], [0.1, 0.4, 0.7])} for i in range(5)}
    fig = experiments.plot_curve_grid(panels, ncols=3, title="t", path=tmp_path / "g.png")
    assert len(fig.axes) == 5
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no panels"):
        experiments.plot_curve_grid({})


def test_training_shows_progress_off_a_terminal_one_line_per_tenth(capsys):
    data = base.load_data(smoke=True)
    tg.manual_seed(0)
    net = MultiLayerNet(784, [20], 10)
    base.train_classifier(net, optim.SGD(net.parameters(), lr=0.1), data, 20, eval_every=10,
                          desc="shallow relu + he")
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 10
    assert lines[0].startswith("shallow relu + he: 2/20 it (10%), loss ")
    assert lines[-1].startswith("shallow relu + he: 20/20 it (100%)")


def test_progress_on_a_terminal_is_a_bar_sized_by_tqdm():
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    term = Terminal()
    bar = base.Progress(50, "deep sigmoid + gauss", stream=term)
    for _ in range(50):
        bar.update(1, loss=2.3)
    bar.close()
    text = term.getvalue()
    assert "deep sigmoid + gauss" in text and "50/50" in text and "loss=2.3" in text
    assert bar._bar is None


def test_reports_name_the_course_documents_as_a_reader_knows_them():
    """The course's report is "DAY2 レポート", never "seed 000" (which reads as the
    random seed printed next to it)."""
    import pathlib
    import re
    folder = pathlib.Path(base.__file__).parent
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b[Ss]eed[s]? 00\d|the seed's|seed ``00", text), path.name


def test_lang_ja_labels_an_experiments_figures_in_japanese(tmp_path, capsys):
    from tinygrad_jp import cli
    seen = []

    @base.register("lang-test", summary="records its figure labels")
    def run(out_dir, full=False, smoke=False, seed=0):
        seen.append(base.tr("accuracy", "正解率"))
        panels = {"p": base.train_test_curves(base.TrainResult([1, 2], [0.1, 0.2],
                                                               [0.1, 0.3], [], {}, 0.0))}
        fig = base.plot_curve_grid(panels)
        seen.append(fig.axes[0].get_ylabel())
        seen.append([t.get_text() for t in fig.legends[0].get_texts()])
        return base.Report("lang-test", out_dir, "T", smoke=smoke, seed=seed)

    try:
        experiments.run_experiment("lang-test", out_dir=tmp_path / "en")
        assert seen == ["accuracy", "accuracy", ["training set", "test set"]]
        seen.clear()
        experiments.run_experiment("lang-test", out_dir=tmp_path / "ja", lang="ja")
        assert seen == ["正解率", "正解率", ["訓練データ", "テストデータ"]]
        seen.clear()
        assert cli.main(["--lang", "ja", "experiment", "lang-test", "--out",
                         str(tmp_path / "cli")]) == 0
        assert seen[0] == "正解率"
    finally:
        base._REGISTRY.pop("lang-test", None)
