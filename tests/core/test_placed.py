import pytest
import torch

from paperzoo.core.data.placed import PlacedConfig, make_placed

DIGITS = PlacedConfig(source="digits", seed=5)


def test_digits_fallback_shapes_masks_and_background():
    s = make_placed("test", DIGITS)
    assert s.images.shape == (len(s), 1, 32, 32) and s.images.dtype == torch.float32
    assert s.masks.shape == (len(s), 32, 32) and s.masks.dtype == torch.bool
    assert 0 <= s.images.min() and s.images.max() <= 1
    frac = s.masks.float().mean((1, 2))
    assert (frac > 0.02).all() and (frac < 0.6).all()  # an object, smaller than the canvas
    background = s.images[:, 0][~s.masks]
    assert background.mean() > 0.05 and background.std() > 0.05  # not trivially zero
    # the object's bounding box fits the pasted item size
    rows = s.masks.any(2).float()
    span = rows.shape[1] - rows.argmax(1) - rows.flip(1).argmax(1)
    assert (span <= DIGITS.item_size).all()
    assert set(s.labels.tolist()) == set(range(10))


def test_deterministic_and_seed_dependent():
    a, b = make_placed("train", DIGITS, limit=50), make_placed("train", DIGITS, limit=50)
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    c = make_placed("train", PlacedConfig(source="digits", seed=6), limit=50)
    assert not torch.equal(a.images, c.images)


def test_splits_do_not_leak():
    idx = {s: set(make_placed(s, DIGITS).source_index.tolist()) for s in ("train", "val", "test")}
    assert not idx["train"] & idx["val"] and not idx["train"] & idx["test"]
    assert not idx["val"] & idx["test"]
    assert sum(map(len, idx.values())) == 1797


def test_mask_marks_bright_item_pixels():
    s = make_placed("val", DIGITS)
    inside = s.images[:, 0][s.masks].mean()
    outside = s.images[:, 0][~s.masks].mean()
    assert inside > outside + 0.2


def test_validation():
    with pytest.raises(ValueError, match="source must be"):
        PlacedConfig(source="mnist")
    with pytest.raises(ValueError, match="canvas must be >= item_size"):
        PlacedConfig(canvas=16, item_size=20)
    with pytest.raises(ValueError, match="split must be"):
        make_placed("dev", DIGITS)
    with pytest.raises(ValueError, match="limit must be >= 1, got 0"):
        make_placed("train", DIGITS, limit=0)


@pytest.mark.fashion_mnist
def test_fashion_mnist_source():
    s = make_placed("test", PlacedConfig(), limit=200)
    assert s.images.shape == (200, 1, 32, 32) and s.classes[0] == "T-shirt/top"
    assert len(set(s.source_index.tolist())) == 200
    tr = make_placed("train", PlacedConfig(), limit=100)
    va = make_placed("val", PlacedConfig(), limit=100)
    assert not set(tr.source_index.tolist()) & set(va.source_index.tolist())
