"""torchvision's places: tinygrad_jp.vision.datasets and .transforms, per sample."""
import dataclasses
import os

import numpy as np
import pytest
from PIL import Image
from tgdata_helpers import FILES, make_cifar_archive, sha

import tinygrad_jp as tg
from tinygrad_jp.data import datasets as dsmod
from tinygrad_jp.tensor import Tensor
from tinygrad_jp.utils.data import DataLoader, Subset
from tinygrad_jp.vision import datasets, transforms

RNG = np.random.default_rng(0)
GREY = RNG.integers(0, 256, (6, 8), dtype=np.uint8)          # H×W, like a PIL 'L' image
COLOUR = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)     # H×W×C, like a PIL 'RGB' one


# ---- transforms --------------------------------------------------------------------------

def test_to_tensor_gives_chw_float_in_unit_range():
    for pic, shape in ((Image.fromarray(GREY), (1, 6, 8)), (Image.fromarray(COLOUR), (3, 6, 8)),
                       (COLOUR, (3, 6, 8)), (GREY, (1, 6, 8))):
        t = transforms.ToTensor()(pic)
        assert isinstance(t, Tensor) and t.shape == shape and t.dtype == np.float32
        want = np.asarray(pic).reshape(6, 8, -1).transpose(2, 0, 1) / 255.0
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-6)
    floats = np.full((2, 2, 1), 7.0)
    assert transforms.ToTensor()(floats).numpy().max() == 7.0      # no scaling, as torchvision
    with pytest.raises(TypeError, match="ToTensor: pic should be a PIL image or a NumPy array"):
        transforms.ToTensor()([1, 2])


def test_normalize_wants_a_tensor_and_normalizes_each_channel():
    t = transforms.ToTensor()(COLOUR)
    out = transforms.Normalize((0.5, 0.4, 0.3), (0.2, 0.2, 0.1))(t)
    want = (COLOUR.transpose(2, 0, 1) / 255.0 - np.array([0.5, 0.4, 0.3])[:, None, None]) \
        / np.array([0.2, 0.2, 0.1])[:, None, None]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="Normalize: expected a Tensor .* put transforms.ToTensor"):
        transforms.Normalize((0.5,), (0.5,))(Image.fromarray(GREY))
    with pytest.raises(ValueError, match="std has 2 values but the batch .* has 3 channels"):
        transforms.Normalize((0.5,), (0.5, 0.5))(t)


def test_transforms_give_back_the_form_they_got():
    flip = transforms.RandomHorizontalFlip(p=1.0)
    pil = flip(Image.fromarray(COLOUR))
    assert isinstance(pil, Image.Image) and pil.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(pil), COLOUR[:, ::-1])
    arr = flip(GREY)
    assert arr.dtype == np.uint8 and arr.shape == GREY.shape
    np.testing.assert_array_equal(arr, GREY[:, ::-1])
    t = flip(transforms.ToTensor()(COLOUR))
    assert isinstance(t, Tensor) and t.shape == (3, 6, 8)
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=0.0)(GREY), GREY)


def test_random_crop_takes_a_window_of_the_padded_image():
    tg.manual_seed(0)
    crops = [transforms.RandomCrop(4, padding=2)(GREY) for _ in range(20)]
    padded = np.pad(GREY, 2)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (4, 4)).reshape(-1, 4, 4)
    for c in crops:
        assert c.shape == (4, 4) and any(np.array_equal(c, w) for w in windows)
    assert len({c.tobytes() for c in crops}) > 1
    assert transforms.RandomCrop((6, 8))(GREY).tobytes() == GREY.tobytes()
    edge = transforms.RandomCrop(10, padding=(1, 2), padding_mode="edge")(GREY)
    assert edge.shape == (10, 10)
    assert transforms.RandomCrop(10, pad_if_needed=True)(GREY).shape == (10, 10)
    with pytest.raises(ValueError, match=r"RandomCrop: required crop size \(10, 10\) is larger "
                                         r"than the input image size \(6, 8\)"):
        transforms.RandomCrop(10)(GREY)


def test_rotation_turns_counter_clockwise_copying_pixels():
    square = RNG.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    turned = transforms.RandomRotation((90, 90))(square)
    np.testing.assert_array_equal(turned, np.rot90(square))        # nearest: exact copies
    back = transforms.RandomRotation((-90, -90))(Image.fromarray(square))
    np.testing.assert_array_equal(np.asarray(back), np.rot90(square, -1))
    with pytest.raises(ValueError, match="expand=True is not supported"):
        transforms.RandomRotation(10, expand=True)


def test_random_affine_shifts_by_whole_pixels_and_follows_the_seed():
    shift = transforms.RandomAffine(0, translate=(0.25, 0.0))
    tg.manual_seed(1)
    out = shift(GREY)
    moved = [np.array_equal(out[:, max(s, 0):8 + min(s, 0)], GREY[:, max(-s, 0):8 - max(s, 0)])
             for s in range(-2, 3)]
    assert any(moved)
    tg.manual_seed(1)
    np.testing.assert_array_equal(shift(GREY), out)
    smooth = transforms.RandomAffine(15, scale=(0.9, 1.1), shear=5,
                                     interpolation=transforms.InterpolationMode.BILINEAR)
    assert smooth(transforms.ToTensor()(COLOUR)).shape == (3, 6, 8)
    with pytest.raises(ValueError, match="interpolation must be"):
        transforms.RandomAffine(10, interpolation="cubic")


# ---- data sets ---------------------------------------------------------------------------

def test_mnist_has_torchvisions_signature_and_items(fake_mnist, tmp_path):
    src, arrays, _ = fake_mnist
    raw = tmp_path / "data" / "MNIST" / "raw"                 # torchvision's layout
    os.makedirs(raw)
    for f in FILES.values():
        os.link(src / f, raw / f)
    ds = datasets.MNIST(str(tmp_path / "data"), train=False, download=True,
                        target_transform=lambda y: y * 10)
    assert len(ds) == 20 and ds.data.shape == (20, 28, 28) and ds.data.dtype == np.uint8
    img, label = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), arrays["test_images"][3])
    assert label == int(arrays["test_labels"][3]) * 10
    assert ds.classes[0] == "0 - zero" and "Split: Test" in repr(ds)


def test_cifar10_items_are_rgb_images(tmp_path, monkeypatch):
    monkeypatch.setattr(dsmod, "_CIFAR_RECORDS", 4)
    archive, _, arrays = make_cifar_archive(str(tmp_path / "cifar-10-binary.tar.gz"))
    res = dataclasses.replace(dsmod._CIFAR.resources["archive"], sha256={sha(archive): "test"})
    monkeypatch.setattr(dsmod, "_CIFAR", dataclasses.replace(dsmod._CIFAR,
                                                             resources={"archive": res}))
    ds = datasets.CIFAR10(str(tmp_path), train=False, transform=transforms.ToTensor())
    assert ds.data.shape == (4, 32, 32, 3) and ds.classes[0] == "airplane"
    x, y = ds[1]
    np.testing.assert_allclose(x.numpy(), arrays["test_batch.bin:x"][1] / 255.0, rtol=1e-6)
    assert y == 1


def test_loader_over_a_vision_dataset_with_and_without_workers():
    train = transforms.Compose([transforms.RandomCrop(28, padding=2),
                                transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                transforms.Normalize((0.2860,), (0.3530,))])
    ds = Subset(datasets.FashionMNIST(None, train=False, transform=train, sample=True),
                range(40))
    tg.manual_seed(5)
    main = [(x.numpy(), y.numpy()) for x, y in DataLoader(ds, batch_size=16, shuffle=True)]
    tg.manual_seed(5)
    workers = [(x.numpy(), y.numpy())
               for x, y in DataLoader(ds, batch_size=16, shuffle=True, num_workers=2)]
    assert [x.shape for x, _ in main] == [(16, 1, 28, 28), (16, 1, 28, 28), (8, 1, 28, 28)]
    assert main[0][0].dtype == np.float32 and main[0][1].dtype == np.int64
    for (xm, ym), (xw, yw) in zip(main, workers, strict=True):
        np.testing.assert_array_equal(xm, xw)
        np.testing.assert_array_equal(ym, yw)
