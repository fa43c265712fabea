"""tg.save / tg.load and Module.save / Module.load: safetensors round trips, atomic
writes, corrupted files, validation against a module, and PyTorch interoperability."""
import os
import struct
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp import serialization as ser


def small_net(lib):
    return lib.Sequential(lib.Conv2d(3, 4, 3), lib.BatchNorm2d(4), lib.ReLU(), lib.Flatten(),
                          lib.Linear(4 * 6 * 6, 5))


def test_round_trip_keeps_names_shapes_dtypes_and_values(tmp_path):
    sd = OrderedDict([("a.weight", tg.randn(3, 4)), ("a.count", tg.tensor(np.int64(7))),
                      ("b", tg.tensor(np.arange(5.0))), ("mask", tg.tensor([True, False])),
                      ("raw", np.ones((2, 2), dtype=np.float16))])
    path = tmp_path / "w.safetensors"
    ser.save(sd, path)
    back = ser.load(path)
    assert set(back) == set(sd)
    for k, v in sd.items():
        v = v.data if isinstance(v, tg.Tensor) else v
        assert back[k].shape == v.shape and back[k].dtype == v.dtype, k
        np.testing.assert_array_equal(back[k].data, v)
    assert back["a.count"].shape == () and back["a.count"].dtype == tg.int64
    back["b"].data[0] = 5  # loaded arrays are writable
    assert not os.path.exists(str(path) + ".tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def test_metadata_round_trip_and_validation(tmp_path):
    path = tmp_path / "m.safetensors"
    ser.save({"x": tg.zeros(2)}, path, metadata={"epoch": "3", "note": "日本語"})
    assert ser.load_metadata(path) == {"epoch": "3", "note": "日本語"}
    state, meta = ser.load(path, with_metadata=True)
    assert meta == {"epoch": "3", "note": "日本語"} and list(state) == ["x"]
    with pytest.raises(TypeError, match="strings"):
        ser.save({"x": tg.zeros(2)}, path, metadata={"epoch": 3})
    with pytest.raises(ValueError, match="reserved"):
        ser.save({"x": tg.zeros(2)}, path, metadata={"tinygrad_jp.crc32": "0"})
    with pytest.raises(TypeError, match="flat dict of tensors"):
        ser.save({"x": 3}, path)
    with pytest.raises(TypeError, match="keys must be strings"):
        ser.save({1: tg.zeros(1)}, path)
    with pytest.raises(TypeError, match="state dict"):
        ser.save([tg.zeros(1)], path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ser.save({"x": tg.zeros(1)}, tmp_path / "nope" / "w.safetensors")


def test_module_save_load_in_place(tmp_path):
    tg.manual_seed(0)
    a, b = small_net(nn), small_net(nn)
    a(tg.randn(4, 3, 8, 8))  # move the running statistics
    path = tmp_path / "net.safetensors"
    a.save(path, metadata={"arch": "small"})
    w = b[0].weight
    result = b.load(path)
    assert repr(result) == "<All keys matched successfully>"
    assert b[0].weight is w
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k].data, v.data, err_msg=k)
    assert b[1].num_batches_tracked.item() == 1
    with pytest.warns(UserWarning, match="only its weights"):
        ser.save(a, tmp_path / "module.safetensors")  # a Module saves its state_dict
    assert set(ser.load(tmp_path / "module.safetensors")) == set(a.state_dict())


def test_saving_a_module_saves_its_weights_and_says_how_to_load_them(tmp_path):
    # torch.save(model, path) pickles the whole object; we never pickle, so the weights
    # are saved (a training run's result is not lost) and a warning gives the idiom.
    a, b = small_net(nn), small_net(nn)
    path = tmp_path / "whole.safetensors"
    with pytest.warns(UserWarning) as caught:
        tg.save(a, path)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "save: a Sequential was given, so only its weights (its state_dict) were saved" \
        in message
    assert f"model.load_state_dict(tg.load({str(path)!r}))" in message
    assert caught[0].filename == __file__           # the warning points at the caller
    assert repr(b.load_state_dict(tg.load(path))) == "<All keys matched successfully>"
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k].data, v.data, err_msg=k)
    # The usual idioms stay silent, and so does a save that failed (nothing was saved).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.save(a.state_dict(), path)
        a.save(path)
        with pytest.raises(FileNotFoundError):
            tg.save(a, tmp_path / "nope" / "w.safetensors")


def test_module_load_reports_every_mismatch_naming_the_file(tmp_path):
    path = tmp_path / "other.safetensors"
    sd = dict(small_net(nn).state_dict())
    sd["4.weight"] = tg.zeros(5, 99)
    sd["1.running_mean"] = tg.zeros(4, dtype=tg.float64)
    del sd["0.bias"]
    sd["extra"] = tg.zeros(1)
    ser.save(sd, path)
    model = small_net(nn)
    before = model[4].weight.data.copy()
    with pytest.raises(RuntimeError) as info:
        model.load(path)
    msg = str(info.value)
    assert str(path) in msg
    assert '"0.bias"' in msg and '"extra"' in msg
    assert "size mismatch for 4.weight" in msg
    assert "dtype mismatch for 1.running_mean: the checkpoint has float64" in msg
    np.testing.assert_array_equal(model[4].weight.data, before)
    del sd["4.weight"]
    sd["4.weight"] = tg.zeros(5, 144)
    ser.save(sd, path)
    assert model.load(path, strict=False, strict_dtype=False) == (["0.bias"], ["extra"])
    assert model[1].running_mean.dtype == tg.float32


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    ser.save({"x": tg.ones(3)}, path)
    import safetensors.numpy

    def broken(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(safetensors.numpy, "save_file", broken)
    with pytest.raises(KeyboardInterrupt):
        ser.save({"x": tg.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(ser.load(path)["x"].data, np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temp file left


def test_truncated_corrupted_and_foreign_files_fail_clearly(tmp_path):
    path = tmp_path / "w.safetensors"
    ser.save({"x": tg.randn(100), "y": tg.randn(10)}, path)
    data = path.read_bytes()

    bad = tmp_path / "truncated.safetensors"
    bad.write_bytes(data[:-50])
    with pytest.raises(RuntimeError, match=r"truncated\.safetensors is truncated"):
        ser.load(bad)
    bad.write_bytes(data[:5])
    with pytest.raises(RuntimeError, match="only 5 bytes"):
        ser.load(bad)
    bad.write_bytes(b"")
    with pytest.raises(RuntimeError, match="only 0 bytes"):
        ser.load(bad)
    flipped = bytearray(data)
    flipped[-3] ^= 0xFF
    bad.write_bytes(bytes(flipped))
    with pytest.raises(RuntimeError, match="corrupted: the tensor bytes do not match"):
        ser.load(bad)
    header = bytearray(data)
    header[10] = ord("}")
    bad.write_bytes(bytes(header))
    with pytest.raises(RuntimeError, match="truncated.safetensors"):
        ser.load(bad)
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(RuntimeError, match="torch.save"):
        ser.load(bad)
    with pytest.raises(FileNotFoundError, match="missing"):
        ser.load(tmp_path / "missing.safetensors")
    short = tmp_path / "short.safetensors"
    short.write_bytes(data[:-1])
    with pytest.raises(RuntimeError, match=r"short\.safetensors is truncated"):
        small_net(nn).load(short)


def test_pytorch_loads_our_file_and_we_load_theirs(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file
    tg.manual_seed(1)
    ours = small_net(nn)
    ours.train()
    ours(tg.randn(8, 3, 8, 8))
    ours.eval()
    path = tmp_path / "ours.safetensors"
    ours.save(path)
    theirs = small_net(torch.nn).eval()
    theirs.load_state_dict(load_file(str(path)))  # strict: identical keys
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    # and back: PyTorch's file into a fresh model of ours
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(1.5)
    back = tmp_path / "theirs.safetensors"
    save_file(theirs.state_dict(), str(back))
    fresh = small_net(nn).eval()
    assert repr(fresh.load(back)) == "<All keys matched successfully>"
    np.testing.assert_allclose(fresh(tg.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


def _write_raw(path, header_bytes, body=b""):
    path.write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + body)


def test_deeply_nested_header_fails_clearly(tmp_path):
    bad = tmp_path / "nested.safetensors"
    _write_raw(bad, b"[" * 100_000 + b"]" * 100_000)
    for read in (ser.load, ser.load_metadata):
        with pytest.raises(RuntimeError, match=r"nested\.safetensors is corrupted: its header "
                                               r"nests deeper"):
            read(bad)
    # deep enough to parse, deeper than any safetensors header (3 levels)
    _write_raw(bad, b'{"x": {"shape": [[[1]]], "dtype": "F32", "data_offsets": [0, 4]}}',
               b"\0" * 4)
    with pytest.raises(RuntimeError, match=r"nested\.safetensors is corrupted: its header "
                                           r"nests 5 levels deep"):
        ser.load(bad)


def test_header_larger_than_safetensors_allows_fails_before_reading(tmp_path):
    bad = tmp_path / "huge.safetensors"
    n = 150_000_000
    with open(bad, "wb") as f:
        f.write(struct.pack("<Q", n))
        f.truncate(8 + n)            # sparse: nothing is written, nothing may be read
    with pytest.raises(RuntimeError, match=r"huge\.safetensors is corrupted: its header "
                                           r"claims 150000000 bytes"):
        ser.load(bad)


def test_header_length_that_starts_like_a_pickle_still_loads(tmp_path):
    # A header of 128 bytes (mod 256) makes the file start with 0x80, as a pickle does;
    # 1 in 32 valid files does. A 20-character name gives such a header here.
    path = tmp_path / "w.safetensors"
    ser.save({"w" * 20: tg.zeros(2)}, path)
    assert path.read_bytes()[:1] == b"\x80"
    assert ser.load(path)["w" * 20].shape == (2,)


def test_deeply_nested_json_fails_clearly_in_every_reader(tmp_path):
    # One helper (tinygrad_jp._io.load_json) reads every JSON document a file holds:
    # the weights header (above), optimizer-state metadata, trainer.json, history.json.
    from tinygrad_jp._io import load_json
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RuntimeError, match=r"^op: f\.json is corrupted: it nests deeper "
                                           r"than the JSON decoder can follow"):
        load_json(deep, "f.json", op="op", what="it")
    with pytest.raises(RuntimeError, match=r"^op: f\.json is corrupted: it nests 3 levels "
                                           r"deep; at most 2 are expected"):
        load_json("[[[1]]]", "f.json", op="op", what="it", max_depth=2)
    with pytest.raises(RuntimeError, match=r"^op: f\.json is corrupted: it is not valid "
                                           r"JSON \(Expecting"):
        load_json(b"[1,", "f.json", op="op", what="it")
    with pytest.raises(RuntimeError, match=r"it is not valid JSON \(.*utf-8"):
        load_json(b"\xff[]", "f.json", op="op", what="it")
    assert load_json(b'{"a": [1, {"b": null}]}', "f.json", op="op") == {"a": [1, {"b": None}]}
