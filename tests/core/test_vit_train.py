"""The trained-ViT cache: one entry per training spec in the core experiment cache."""

import pytest
import torch

from paperzoo.core.data.placed import PlacedConfig
from paperzoo.core.vit import SmallViT, ViTConfig, load_small_vit
from paperzoo.core.vit import train as train_mod

TINY = ViTConfig(dim=16, depth=1, heads=2)


def test_train_vit_writes_a_loadable_checkpoint(tmp_path):
    spec = train_mod.ViTTrainSpec(
        model=TINY, data=PlacedConfig(source="digits"), epochs=1, train_limit=64, warmup_steps=1
    )
    meta = train_mod.train_vit(spec, tmp_path / "vit.pt")
    model, saved = load_small_vit(tmp_path / "vit.pt")
    assert saved["spec_key"] == spec.key() and 0 <= saved["test_accuracy"] <= 1
    assert meta["train_items"] == 64 and len(meta["epoch_losses"]) == 1
    assert model.cfg == TINY


@pytest.fixture
def fake_fit(monkeypatch, tmp_path):
    """Training replaced by a recorded, instant stand-in (a tiny random ViT)."""
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    monkeypatch.setattr(train_mod._trained, "_memory", {})
    fitted = []

    def fit(spec, device="cpu"):
        fitted.append(spec)
        torch.manual_seed(len(fitted))
        return SmallViT(TINY), {"test_accuracy": 0.5, "val_accuracy": 0.5}

    monkeypatch.setattr(train_mod, "fit_vit", fit)
    return fitted


def test_quick_reuses_a_cached_full_model_when_fashion_mnist_is_there(fake_fit, monkeypatch):
    monkeypatch.setattr(train_mod, "fashion_mnist_available", lambda: True)
    full, meta_full = train_mod.trained_vit("full")
    quick, meta = train_mod.trained_vit("quick")
    assert fake_fit == [train_mod.FULL_SPEC]  # trained once, reused at quick scale
    assert meta["scale"] == "full" and meta["test_accuracy"] == 0.5
    assert torch.equal(quick.head.weight, full.head.weight)
    loaded, _ = load_small_vit(meta["path"])  # the cache entry is a loadable checkpoint
    assert torch.equal(loaded.head.weight, full.head.weight)
    train_mod.trained_vit("full", retrain=True)
    assert fake_fit == [train_mod.FULL_SPEC] * 2
    with pytest.raises(ValueError, match="scale: unknown 'medium'"):
        train_mod.trained_vit("medium")


def test_without_fashion_mnist_quick_trains_on_digits(fake_fit, monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERZOO_FASHION_MNIST", str(tmp_path / "empty"))  # a newcomer's machine
    assert train_mod.specs_for("quick") == [train_mod.QUICK_DIGITS_SPEC]
    assert train_mod.specs_for("full") == [train_mod.FULL_SPEC]
    _, meta = train_mod.trained_vit("quick")
    assert fake_fit == [train_mod.QUICK_DIGITS_SPEC] and meta["scale"] == "quick-digits"
    assert meta["data_config"].source == "digits"


def test_the_data_folder_is_part_of_the_key(fake_fit, monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERZOO_FASHION_MNIST", str(tmp_path / "a"))
    first = train_mod.cache_path(train_mod.FULL_SPEC)
    monkeypatch.setenv("PAPERZOO_FASHION_MNIST", str(tmp_path / "b"))
    assert train_mod.cache_path(train_mod.FULL_SPEC) != first


@pytest.mark.slow
def test_smoke_scale_really_trains_a_small_vit_in_seconds():
    model, meta = train_mod.trained_vit("smoke")
    assert meta["scale"] == "smoke" and meta["train_items"] == 1000
    assert len(meta["epoch_losses"]) == 4 and meta["epoch_losses"][-1] < meta["epoch_losses"][0]
    again, _ = train_mod.trained_vit("smoke")
    assert torch.equal(again.head.weight, model.head.weight)


def test_spec_validation():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        train_mod.ViTTrainSpec(label_smoothing=1.0)
    bad_fields = [("flip", 1.5, "flip must be in"), ("shift", -1, "shift must be >="),
                  ("mixup", -0.1, "mixup must be >="), ("ema", 1.0, "ema must be in")]  # fmt: skip
    for field, bad, text in bad_fields:
        with pytest.raises(ValueError, match=text):
            train_mod.ViTTrainSpec(**{field: bad})
    with pytest.raises(ValueError, match="lr must be > 0"):
        train_mod.ViTTrainSpec(lr=0.0)


def test_resolve_model_loads_a_spec_or_the_cached_vit_and_never_trains(
    fake_fit, monkeypatch, tmp_path
):
    from paperzoo.core.vit import save_small_vit

    monkeypatch.setenv("PAPERZOO_FASHION_MNIST", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="no trained ViT cached; run `paperzoo tokentm"):
        train_mod.resolve_model(None)
    assert fake_fit == []  # refused, not trained
    trained, _ = train_mod.trained_vit("quick")
    model, data = train_mod.resolve_model(None)
    assert data == train_mod.QUICK_DIGITS_SPEC.data
    assert torch.equal(model.head.weight, trained.head.weight)
    ckpt = save_small_vit(tmp_path / "mine.pt", SmallViT(TINY).train())
    mine, none = train_mod.resolve_model(str(ckpt))
    assert none is None and mine.cfg == TINY and not mine.training


def test_augment_flips_and_translates():
    x = torch.arange(2 * 36, dtype=torch.float32).reshape(2, 1, 6, 6)
    assert torch.equal(train_mod.augment(x, 0.0, 0), x)
    assert torch.equal(train_mod.augment(x, 1.0, 0), x.flip(-1))
    torch.manual_seed(0)
    moved = train_mod.augment(x, 0.0, 2)
    assert moved.shape == x.shape
    for img, out in zip(x[:, 0], moved[:, 0], strict=True):  # a shift by (dy, dx), edges repeated
        pad = torch.nn.functional.pad(img[None, None], (2,) * 4, mode="replicate")[0, 0]
        crops = [pad[dy : dy + 6, dx : dx + 6] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(out, c) for c in crops)


def test_fit_with_augmentation_mixup_and_ema_records_a_curve():
    spec = train_mod.ViTTrainSpec(
        model=ViTConfig(dim=16, depth=1, heads=2, stem=4), data=PlacedConfig(source="digits"),
        epochs=2, batch_size=32, train_limit=64, warmup_steps=1, flip=0.5, shift=2, mixup=0.2,
        ema=0.9,
    )  # fmt: skip
    model, meta = train_mod.fit_vit(spec)
    assert len(meta["val_curve"]) == 2 and all(0 <= a <= 1 for a in meta["val_curve"])
    assert model.cfg.stem == 4 and meta["val_curve"][-1] == meta["val_accuracy"]
