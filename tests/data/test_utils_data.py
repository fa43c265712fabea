"""torch.utils.data's places: Subset, random_split, default_collate, collate_fn and
worker processes (which must give exactly the batches of num_workers=0)."""
import collections

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp.data import get_worker_info
from tinygrad_jp.tensor import Tensor
from tinygrad_jp.utils.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Noisy(Dataset):
    """Per-sample random values drawn from the global generator (like a random
    augmentation), plus the label."""

    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        noise = tg.random.get_rng().standard_normal(3).astype(np.float32)
        return np.full(3, i, np.float32) + noise, i


class Failing(Noisy):
    def __getitem__(self, i):
        if i == 7:
            raise KeyError(f"sample {i} is broken")
        return super().__getitem__(i)


class WhoLoads(Noisy):
    def __getitem__(self, i):
        info = get_worker_info()
        return np.float32(-1 if info is None else info.id)


def _epochs(loader, n=2):
    return [[tuple(t.numpy() for t in batch) for batch in loader] for _ in range(n)]


def test_reachable_where_pytorch_has_them():
    from tinygrad_jp.data import DataLoader as Loader
    assert tg.utils.data.DataLoader is DataLoader is Loader
    assert tg.utils.data.random_split is random_split


def test_subset_and_its_batch_gather():
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][1] == 7 and [s[1] for s in sub[[2, 0]]] == [5, 7]
    x, y = sub.get_batch(np.array([1, 2]))
    assert y.tolist() == [2, 5]
    assert getattr(Subset(Noisy(), [0, 1]), "get_batch", None) is None   # per-sample dataset
    (bx, by), = DataLoader(sub, batch_size=3)
    assert by.tolist() == [7, 2, 5]


def test_random_split_counts_fractions_and_seed():
    ds = TensorDataset(np.arange(10))
    tg.manual_seed(3)
    a, b = random_split(ds, [7, 3])
    tg.manual_seed(3)
    a2, _ = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3 and a.indices == a2.indices
    assert sorted(a.indices + b.indices) == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match=r"sum of input lengths \(9, \[6, 3\]\) does not equal "
                                         r"the length of the input dataset \(10\)"):
        random_split(ds, [6, 3])


def test_random_split_matches_torch_lengths():
    torch = pytest.importorskip("torch")
    for n, fracs in ((11, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (7, [0.1, 0.9])):
        want = [len(s) for s in torch.utils.data.random_split(range(n), fracs)]
        assert [len(s) for s in random_split(TensorDataset(np.arange(n)), fracs)] == want


def test_default_collate_follows_pytorch_rules():
    Point = collections.namedtuple("Point", "x y")
    batch = default_collate([(np.ones(2, np.float32), 1, 0.5, "a", {"k": Tensor([1.0])},
                              Point(1, 2))] * 3)
    x, label, weight, names, d, p = batch
    assert isinstance(batch, tuple) and x.shape == (3, 2) and x.dtype == np.float32
    assert label.dtype == np.int64 and weight.dtype == np.float64 and names == ["a"] * 3
    assert d["k"].shape == (3, 1) and isinstance(p, Point) and p.y.tolist() == [2, 2, 2]
    with pytest.raises(RuntimeError, match=r"different shapes .*\(2,\), \(3,\)"):
        default_collate([np.ones(2), np.ones(3)])


def test_default_collate_matches_torch():
    torch = pytest.importorskip("torch")
    samples = [(np.full((2, 2), i, np.float32), i, float(i) / 2) for i in range(4)]
    ours, theirs = default_collate(samples), torch.utils.data.default_collate(samples)
    for a, b in zip(ours, theirs, strict=True):
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_collate_fn_gets_the_samples_and_its_result_is_the_batch():
    loader = DataLoader(Noisy(5), batch_size=2, collate_fn=lambda s: [i for _, i in s])
    assert list(loader) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="either transform= .* or collate_fn="):
        DataLoader(Noisy(), collate_fn=list, transform=lambda b: b)


def test_bad_worker_options_are_named():
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Noisy(), persistent_workers=True)
    with pytest.raises(ValueError, match="num_workers must be a non-negative int, got -1"):
        DataLoader(Noisy(), num_workers=-1)
    assert DataLoader(Noisy(), pin_memory=True).pin_memory      # accepted, a no-op on CPU


def test_workers_give_the_batches_of_the_main_process():
    """Same seed: the same order and the same random draws, epoch after epoch, with
    per-sample randomness, shuffling, drop_last and persistent or fresh workers."""
    kw = dict(batch_size=4, shuffle=True, drop_last=True)
    tg.manual_seed(11)
    want = _epochs(DataLoader(Noisy(), **kw))
    tg.manual_seed(11)
    fresh = _epochs(DataLoader(Noisy(), num_workers=2, **kw))
    tg.manual_seed(11)
    persistent = DataLoader(Noisy(), num_workers=3, persistent_workers=True, prefetch_factor=1,
                            **kw)
    kept = _epochs(persistent)
    for got in (fresh, kept):
        assert len(got) == len(want) == 2 and [len(e) for e in got] == [5, 5]
        for e_got, e_want in zip(got, want, strict=True):
            for b_got, b_want in zip(e_got, e_want, strict=True):
                for a, b in zip(b_got, b_want, strict=True):
                    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(want[0][0][1], want[1][0][1])   # a new order each epoch
    # breaking out of an epoch (as --dry-run does) leaves the kept workers usable
    first = next(iter(persistent))
    assert first[0].shape == (4, 3)
    assert len(list(persistent)) == 5
    persistent._pool.shutdown()


def test_workers_know_who_they_are_and_pass_errors_on():
    ids = np.concatenate([b.numpy() for b in DataLoader(WhoLoads(6), batch_size=2,
                                                         num_workers=2)])
    assert ids.tolist() == [0, 0, 1, 1, 0, 0] and get_worker_info() is None
    with pytest.raises(KeyError, match="(?s)Caught KeyError in DataLoader worker process 1.*"
                                       "sample 7 is broken"):
        list(DataLoader(Failing(), batch_size=4, num_workers=2))


# ---- samplers ------------------------------------------------------------------------------

def _labels(loader):
    return [b[1].numpy().tolist() for b in loader]


def test_samplers_give_the_order_and_the_loader_follows_them():
    from tinygrad_jp.utils.data import (BatchSampler, RandomSampler, SequentialSampler,
                                        SubsetRandomSampler)
    ds = TensorDataset(tg.zeros(10, 2), tg.arange(10))
    assert list(SequentialSampler(ds)) == list(range(10))
    perm = list(RandomSampler(ds, generator=3))
    assert sorted(perm) == list(range(10)) and perm != list(range(10))
    assert perm == list(RandomSampler(ds, generator=3))                # the seed decides
    assert len(list(RandomSampler(ds, num_samples=25, generator=0))) == 25
    drawn = list(RandomSampler(ds, replacement=True, num_samples=200, generator=0))
    assert set(drawn) == set(range(10))
    subset = list(SubsetRandomSampler([7, 8, 9], generator=1))
    assert sorted(subset) == [7, 8, 9]
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2
    # the loader takes either
    loader = DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler([1, 3, 5], 0))
    assert len(loader) == 1 and sorted(_labels(loader)[0]) == [1, 3, 5]
    batches = DataLoader(ds, batch_sampler=[[9, 0], [4]])
    assert _labels(batches) == [[9, 0], [4]] and len(batches) == 2


def test_weighted_sampler_draws_in_proportion_to_the_weights():
    from tinygrad_jp.utils.data import WeightedRandomSampler
    picks = np.array(list(WeightedRandomSampler([1.0, 0.0, 3.0], 4000, generator=0)))
    assert not (picks == 1).any()
    assert abs((picks == 2).mean() - 0.75) < 0.03
    assert sorted(WeightedRandomSampler([1, 1, 1], 3, replacement=False, generator=0)) \
        == [0, 1, 2]
    with pytest.raises(ValueError, match="not all zero"):
        WeightedRandomSampler([0.0, 0.0], 2)
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)


def test_sampler_options_that_exclude_each_other_are_refused():
    ds = TensorDataset(tg.zeros(4, 1), tg.arange(4))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(TypeError, match="sampler must be iterable"):
        DataLoader(ds, sampler=3)


def test_a_random_sampler_with_workers_gives_the_batches_of_the_main_process():
    from tinygrad_jp.utils.data import RandomSampler
    ds = Noisy(9)
    tg.manual_seed(5)
    main = [b[0].numpy() for b in DataLoader(ds, batch_size=4, sampler=RandomSampler(ds))]
    tg.manual_seed(5)
    workers = [b[0].numpy() for b in DataLoader(ds, batch_size=4, sampler=RandomSampler(ds),
                                                num_workers=2)]
    for a, b in zip(main, workers, strict=True):
        np.testing.assert_array_equal(a, b)
