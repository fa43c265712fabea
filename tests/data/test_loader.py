import numpy as np
import pytest

import tinygrad_jp
from tinygrad_jp.data import DataLoader, Dataset, FashionMNIST, TensorDataset
from tinygrad_jp.tensor import Tensor


def _ds(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y)


def test_tensor_dataset():
    ds = _ds()
    assert len(ds) == 10
    x, y = ds[3]
    np.testing.assert_array_equal(x, [6, 7]) and y == 3
    with pytest.raises(ValueError, match=r"\(10, 2\), \(9,\)"):
        TensorDataset(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_tensor_dataset_accepts_tensors():
    ds = TensorDataset(Tensor(np.ones((4, 3), np.float32)), np.arange(4))
    assert ds.arrays[0].shape == (4, 3)


def test_batches_are_tensors_in_order():
    batches = list(DataLoader(_ds(), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    x, y = batches[0]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), np.arange(10))


@pytest.mark.parametrize("n, bs, drop, expect", [(10, 4, False, 3), (10, 4, True, 2),
                                                 (8, 4, True, 2), (3, 5, False, 1),
                                                 (3, 5, True, 0)])
def test_len(n, bs, drop, expect):
    loader = DataLoader(_ds(n), batch_size=bs, drop_last=drop)
    assert len(loader) == expect == len(list(loader))


def test_shuffle_follows_manual_seed():
    loader = DataLoader(_ds(50), batch_size=7, shuffle=True)

    def order():
        return np.concatenate([y.numpy() for _, y in loader])

    tinygrad_jp.random.manual_seed(123)
    a, b = order(), order()
    tinygrad_jp.random.manual_seed(123)
    c = order()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # a new permutation each epoch
    np.testing.assert_array_equal(np.sort(a), np.arange(50))


def test_explicit_generator():
    def order(gen):
        return np.concatenate([y.numpy() for _, y in DataLoader(_ds(30), 4, shuffle=True,
                                                                generator=gen)])
    np.testing.assert_array_equal(order(np.random.default_rng(5)),
                                  order(np.random.default_rng(5)))
    np.testing.assert_array_equal(order(5), order(np.random.default_rng(5)))
    with pytest.raises(TypeError, match="generator"):
        DataLoader(_ds(), generator="x")


def test_transform_applies_to_the_whole_input_batch():
    seen = []

    def t(batch):
        seen.append(batch.shape)
        return batch * 2

    (x, y), = list(DataLoader(_ds(3), batch_size=3, transform=t))
    assert seen == [(3, 2)]
    np.testing.assert_array_equal(x.numpy(), np.arange(6).reshape(3, 2) * 2)
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2])


def test_array_datasets_are_gathered_without_per_sample_calls():
    class NoItem(TensorDataset):
        def __getitem__(self, i):
            raise AssertionError("per-sample access")

    assert len(list(DataLoader(NoItem(np.zeros((9, 1)), np.zeros(9)), batch_size=4))) == 3


def test_generic_dataset_is_stacked():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full((2,), i * i, np.float32), i

    x, y = next(iter(DataLoader(Squares(), batch_size=5)))
    np.testing.assert_array_equal(y.numpy(), np.arange(5))
    assert x.shape == (5, 2) and y.dtype == np.int64

    class Single(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.zeros(3, np.float32)

    b = next(iter(DataLoader(Single(), batch_size=2)))
    assert isinstance(b, Tensor) and b.shape == (2, 3)


@pytest.mark.parametrize("bs", [0, -3])
def test_bad_batch_size(bs):
    with pytest.raises(ValueError, match=f"batch_size must be a positive int, got {bs}"):
        DataLoader(_ds(), batch_size=bs)


def test_bad_batch_size_type_and_empty_dataset():
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(_ds(), batch_size=2.0)
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=2)


def test_image_dataset_batches():
    ds = FashionMNIST(sample=True, train=False)
    loader = DataLoader(ds, batch_size=100, shuffle=True, generator=0)
    assert len(loader) == 20
    x, y = next(iter(loader))
    assert x.shape == (100, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (100,) and y.dtype == np.int64
    assert 0.0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 1.0
    assert not x.requires_grad
