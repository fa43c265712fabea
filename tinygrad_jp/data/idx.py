"""Reading and writing the IDX format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim``
big-endian uint32 dimensions, then the data, big-endian, in C order. The files are
usually gzip-compressed (``*.gz``). The reader is strict: a wrong magic number, a
wrong number of dimensions, a truncated or over-long body and a broken gzip stream
are all reported as :class:`IDXFormatError` with the file name.
"""
import gzip
import math
import os
import struct
import zlib

import numpy as np

from .._io import atomic_path

__all__ = ["IDXFormatError", "read_idx", "write_idx", "parse_idx"]

# type code -> big-endian dtype (from the format's definition by LeCun et al.)
_CODE_TO_DTYPE = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_DTYPE_TO_CODE = {dt.newbyteorder("=").str[1:]: code for code, dt in _CODE_TO_DTYPE.items()}


class IDXFormatError(ValueError):
    """An IDX file is malformed: bad magic number, dimensions or length."""


def parse_idx(buf, name="<bytes>", expect_ndim=None, expect_shape=None):
    """Parse the (already decompressed) bytes of an IDX file into a native-endian array.

    ``expect_ndim`` / ``expect_shape`` (``None`` entries match anything) make the
    parser reject files of the wrong kind, e.g. a label file passed as images.
    """
    dtype, dims, start = _parse_header(buf, name, expect_ndim, expect_shape)
    _check_body_length(len(buf) - start, dtype, dims, name)
    return _to_array(buf, dtype, dims, start)


def _parse_header(buf, name, expect_ndim=None, expect_shape=None):
    """(big-endian dtype, dims, header length) from the first bytes of an IDX file."""
    if len(buf) < 4:
        raise IDXFormatError(f"read_idx: {name}: file has {len(buf)} bytes, too short for "
                             "the 4-byte IDX magic number")
    zero0, zero1, code, ndim = buf[0], buf[1], buf[2], buf[3]
    if zero0 != 0 or zero1 != 0 or code not in _CODE_TO_DTYPE:
        raise IDXFormatError(
            f"read_idx: {name}: bad magic number 0x{bytes(buf[:4]).hex()} (expected "
            "0x0000TTNN with type TT in 08/09/0b/0c/0d/0e); this is not an IDX file, or it "
            "is still gzip-compressed")
    if ndim == 0:
        raise IDXFormatError(f"read_idx: {name}: magic number says 0 dimensions")
    if expect_ndim is not None and ndim != expect_ndim:
        raise IDXFormatError(f"read_idx: {name}: expected a {expect_ndim}-d IDX file, "
                             f"the magic number says {ndim}-d")
    header = _header_length(ndim)
    if len(buf) < header:
        raise IDXFormatError(f"read_idx: {name}: truncated header ({len(buf)} bytes, the "
                             f"{ndim} dimensions need {header})")
    dims = struct.unpack(f">{ndim}I", bytes(buf[4:header]))
    if expect_shape is not None:
        for want, got in zip(expect_shape, dims, strict=False):
            if want is not None and want != got:
                raise IDXFormatError(f"read_idx: {name}: dimensions {dims} do not match the "
                                     f"expected {tuple(expect_shape)}")
    return _CODE_TO_DTYPE[code], dims, header


def _header_length(ndim):
    return 4 + 4 * ndim


def _body_length(dtype, dims):
    # Python integers: four dimensions of 65536 are 2**64 elements, which wraps to 0
    # in NumPy's int64 and would pass for an empty body.
    return math.prod(dims) * dtype.itemsize


def _check_body_length(have, dtype, dims, name):
    need = _body_length(dtype, dims)
    if have < need:
        raise IDXFormatError(f"read_idx: {name}: truncated data: dimensions {dims} need "
                             f"{need} bytes, the file has {have}")
    if have > need:
        raise IDXFormatError(f"read_idx: {name}: {have - need} unexpected bytes after the "
                             f"data of dimensions {dims}")


def _to_array(buf, dtype, dims, offset):
    arr = np.frombuffer(buf, dtype=dtype, count=math.prod(dims), offset=offset)
    return arr.reshape(dims).astype(dtype.newbyteorder("="), copy=dtype.itemsize > 1)


# Deflate stores at most about 1032 bytes of output per byte of input; a gzip file that
# claims more data than that could hold is rejected before it is decompressed.
_MAX_DEFLATE_RATIO = 1032


def read_idx(path, expect_ndim=None, expect_shape=None):
    """Read an IDX file (gzip-compressed when the name ends in ``.gz``) into an array.

    Returns a native-endian array (uint8 for images and labels). A uint8 result is a
    read-only view of the file's bytes: copy it before writing into it. The header's
    dimensions are checked against the file's length before the data is read, so a
    corrupt header cannot ask for more memory than the file could fill.
    """
    path = os.fspath(path)
    name = os.path.basename(path)
    compressed = path.endswith(".gz")
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as f:
            dtype, dims, start = _parse_header(_read_head(f), name, expect_ndim, expect_shape)
            _check_file_can_hold(path, name, compressed, start, dtype, dims)
            body = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise IDXFormatError(f"read_idx: {name}: corrupt or truncated gzip stream ({e})") from e
    _check_body_length(len(body), dtype, dims, name)
    return _to_array(body, dtype, dims, 0)


def _read_head(f):
    """The magic number and the dimensions: 4 bytes, then 4 per dimension."""
    head = f.read(4)
    if len(head) == 4:
        head += f.read(_header_length(head[3]) - 4)
    return head


def _check_file_can_hold(path, name, compressed, start, dtype, dims):
    """Compare the data the header claims with the file's length, before reading it."""
    size = os.path.getsize(path)
    if not compressed:
        _check_body_length(size - start, dtype, dims, name)
        return
    need = _body_length(dtype, dims)
    if need > _MAX_DEFLATE_RATIO * size:
        raise IDXFormatError(f"read_idx: {name}: truncated data: dimensions {dims} need "
                             f"{need} bytes, more than a gzip file of {size} bytes can hold")


def write_idx(path, array, compresslevel=9):
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    The gzip header carries no time stamp or name, so the same array gives the same
    bytes (and the same SHA-256) every time. The write is atomic: a temporary file in
    the same folder is renamed over ``path`` only when complete.
    """
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=").str[1:]
    if key not in _DTYPE_TO_CODE:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX type code; use uint8, "
                        "int8, int16, int32, float32 or float64")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: cannot store a {array.ndim}-d array")
    code = _DTYPE_TO_CODE[key]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).tobytes()
    path = os.fspath(path)
    with atomic_path(path) as tmp:
        if path.endswith(".gz"):
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                       compresslevel=compresslevel, mtime=0) as f:
                f.write(head)
                f.write(body)
        else:
            with open(tmp, "wb") as f:
                f.write(head)
                f.write(body)
    return path
