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
    # expand=True: the canvas grows to hold the turned image (8×6 → 6×8 at 90°)
    wide = COLOUR
    np.testing.assert_array_equal(transforms.RandomRotation((90, 90), expand=True)(wide),
                                  np.rot90(wide))
    tilted = transforms.RandomRotation((45, 45), expand=True)(GREY)
    side = int(np.ceil((6 + 8) / np.sqrt(2) - 1e-4))
    assert tilted.shape == (side, side)
    assert tilted[0, 0] == 0 and tilted[side // 2, side // 2] != 0   # corners are fill


def test_resize_matches_the_shorter_edge_or_the_exact_size():
    img = Image.fromarray(COLOUR)                                   # 6 × 8
    assert np.asarray(transforms.Resize(3)(img)).shape == (3, 4, 3)
    assert np.asarray(transforms.Resize((12, 4))(img)).shape == (12, 4, 3)
    assert transforms.Resize(6, max_size=7)(GREY).shape == (5, 7)     # the long edge capped
    # nearest doubling repeats every pixel; bilinear keeps a constant image constant
    near = transforms.Resize((12, 16), interpolation=transforms.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(near(GREY), GREY.repeat(2, 0).repeat(2, 1))
    flat = np.full((6, 8), 0.25, np.float32)
    np.testing.assert_allclose(transforms.Resize(3)(flat), 0.25, rtol=1e-6)
    out = transforms.Resize(2)(Tensor(np.ones((1, 4, 4), np.float32)))
    assert isinstance(out, Tensor) and out.shape == (1, 2, 2)
    with pytest.raises(ValueError, match="Resize: size"):
        transforms.Resize(0)


def test_center_crop_takes_the_middle_and_pads_a_small_image():
    np.testing.assert_array_equal(transforms.CenterCrop(4)(GREY), GREY[1:5, 2:6])
    np.testing.assert_array_equal(transforms.CenterCrop((2, 8))(GREY), GREY[2:4])
    padded = transforms.CenterCrop(10)(GREY)
    assert padded.shape == (10, 10)
    np.testing.assert_array_equal(padded[2:8, 1:9], GREY)
    assert padded[0].sum() == 0 and padded[:, 0].sum() == 0


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


# ---- utils ---------------------------------------------------------------------------------

def test_make_grid_lays_images_out_in_rows_with_padding():
    from tinygrad_jp.vision.utils import make_grid
    batch = np.arange(5 * 1 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3)
    grid = make_grid(Tensor(batch), nrow=3, padding=1, pad_value=-1.0)
    assert grid.shape == (3, 2 * 3 + 1, 3 * 4 + 1)                 # 2 rows of 3, RGB
    g = grid.numpy()
    np.testing.assert_array_equal(g[0, 1:3, 1:4], batch[0, 0])       # first image
    np.testing.assert_array_equal(g[2, 4:6, 5:8], batch[4, 0])       # fifth: row 2, col 2
    np.testing.assert_array_equal(g[:, 0], -1.0)                     # the padding
    np.testing.assert_array_equal(g[:, 4:6, 9:12], -1.0)             # the empty sixth place
    unit = make_grid(Tensor(batch), normalize=True).numpy()
    assert unit.min() == 0.0 and unit.max() == 1.0
    each = make_grid([Tensor(batch[0]), Tensor(batch[1] * 10)], normalize=True,
                     scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(each[0, :, :3], each[0, :, 3:])       # scaled alike


def test_save_image_writes_the_grid_as_an_8_bit_picture(tmp_path):
    from tinygrad_jp.vision.utils import save_image
    batch = np.linspace(0, 1, 4 * 3 * 4 * 4, dtype=np.float32).reshape(4, 3, 4, 4)
    path = tmp_path / "grid.png"
    save_image(Tensor(batch), path, nrow=2, padding=0)
    pixels = np.asarray(Image.open(path))
    assert pixels.shape == (8, 8, 3) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[:4, :4], np.rint(batch[0].transpose(1, 2, 0) * 255))
    assert not list(tmp_path.glob("*.tmp*"))
