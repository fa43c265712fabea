import gzip
import re
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_jp.data.idx import IDXFormatError, parse_idx, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
                  elements={"allow_nan": False}),
       st.booleans())
def test_roundtrip(tmp_path_factory, arr, compressed):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compressed else "a.idx")
    write_idx(path, arr)
    back = read_idx(path)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_header_is_the_official_layout(tmp_path):
    path = write_idx(tmp_path / "x.gz", np.arange(6, dtype=np.uint8).reshape(1, 2, 3))
    raw = gzip.open(path).read()
    assert raw[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">3I", raw[4:16]) == (1, 2, 3)
    assert raw[16:] == bytes(range(6))


def test_write_is_deterministic(tmp_path):
    a = np.arange(100, dtype=np.uint8)
    assert (open(write_idx(tmp_path / "a.gz", a), "rb").read()
            == open(write_idx(tmp_path / "b.gz", a), "rb").read())


def _header(code, dims):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("buf, match", [
    (b"\x00\x00", "too short"),
    (b"\x1f\x8b\x08\x00" + bytes(20), "bad magic number"),
    (b"\x00\x00\x07\x01" + bytes(8), "bad magic number"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (_header(8, (2, 3))[:9], "truncated header"),
    (_header(8, (2, 3)) + bytes(5), "truncated data"),
    (_header(8, (2, 3)) + bytes(7), "unexpected bytes"),
    (_header(0x0C, (2,)) + bytes(7), "truncated data"),
])
def test_strict_parse_errors(buf, match):
    with pytest.raises(IDXFormatError, match=match):
        parse_idx(buf, name="f.idx")


def test_expected_ndim_and_shape():
    buf = _header(8, (2, 3)) + bytes(6)
    with pytest.raises(IDXFormatError, match="expected a 3-d"):
        parse_idx(buf, expect_ndim=3)
    with pytest.raises(IDXFormatError, match="do not match"):
        parse_idx(buf, expect_shape=(None, 4))
    assert parse_idx(buf, expect_ndim=2, expect_shape=(None, 3)).shape == (2, 3)


def test_truncated_gzip_names_the_file(tmp_path):
    path = write_idx(tmp_path / "images.gz", np.arange(5000, dtype=np.int32))
    data = open(path, "rb").read()
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(IDXFormatError, match="cut.gz.*corrupt or truncated gzip"):
        read_idx(tmp_path / "cut.gz")


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="uint64"):
        write_idx(tmp_path / "x", np.zeros(3, np.uint64))


HUGE = (65536,) * 4     # 2**64 elements: wraps to 0 in int64 arithmetic


def test_huge_dimensions_are_counted_exactly():
    with pytest.raises(IDXFormatError, match=r"f\.idx: truncated data: dimensions "
                                             r"\(65536, 65536, 65536, 65536\) need "
                                             r"18446744073709551616 bytes, the file has 0"):
        parse_idx(_header(8, HUGE), name="f.idx")
    with pytest.raises(IDXFormatError, match="need 73786976294838206464 bytes, the file has 4"):
        parse_idx(_header(0x0C, HUGE) + bytes(4), name="f.idx")


@pytest.mark.parametrize("name", ["huge.idx", "huge.idx.gz"])
def test_huge_dimensions_fail_before_reading_the_body(tmp_path, name):
    path = tmp_path / name
    raw = _header(8, HUGE) + bytes(100)
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    with pytest.raises(IDXFormatError, match=name.replace(".", r"\.") + ": .*18446744073709551616"):
        read_idx(path)


@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_reports_short_and_long_bodies(tmp_path, compressed):
    name = "x.idx.gz" if compressed else "x.idx"
    short = "truncated data: dimensions (2, 3) need 6 bytes, the file has 5"
    for body, match in ((bytes(5), short), (bytes(9), "3 unexpected bytes after the data")):
        raw = _header(8, (2, 3)) + body
        (tmp_path / name).write_bytes(gzip.compress(raw) if compressed else raw)
        with pytest.raises(IDXFormatError, match=re.escape(f"{name}: {match}")):
            read_idx(tmp_path / name)
