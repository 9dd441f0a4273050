"""Load ViTs from users' local files: paperzoo checkpoints, timm checkpoints, HF directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from paperzoo.core.io import (
    load_checkpoint,
    load_state_dict_checked,
    load_weights_only,
    save_checkpoint,
)
from paperzoo.core.vit.model import SmallViT, ViTConfig

CONFIG_KEY = "vit_config"


def save_small_vit(path: str | Path, model: SmallViT, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` with its config so :func:`load_small_vit` can rebuild it."""
    return save_checkpoint(path, model, {**(meta or {}), CONFIG_KEY: model.cfg.to_dict()})


def load_small_vit(path: str | Path) -> tuple[SmallViT, dict[str, Any]]:
    """Rebuild a :class:`SmallViT` from a paperzoo checkpoint; returns (model in eval, meta)."""
    payload = load_checkpoint(path)
    meta = payload["meta"]
    if CONFIG_KEY not in meta:
        raise ValueError(f"checkpoint: {path} has no {CONFIG_KEY!r} (not a paperzoo ViT)")
    model = SmallViT(ViTConfig.from_dict(meta[CONFIG_KEY]))
    load_state_dict_checked(model, payload["state_dict"], source=str(path))
    return model.eval(), meta


def load_timm(name: str, checkpoint_path: str | Path, **model_kwargs: Any) -> nn.Module:
    """``timm.create_model(name, pretrained=False, **model_kwargs)`` with a local checkpoint.

    Accepts a bare state dict or one nested under ``state_dict``/``model`` (``module.`` prefixes
    stripped); mismatched keys or shapes raise ``ValueError`` naming them.
    """
    import timm

    path = Path(checkpoint_path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint: no such file {path}")
    try:
        model = timm.create_model(name, pretrained=False, **model_kwargs)
    except RuntimeError as err:  # timm: unknown model name
        raise ValueError(f"model: timm cannot build {name!r} ({err})") from err
    payload = load_weights_only(path)
    for key in ("state_dict", "model"):
        if isinstance(payload, dict) and isinstance(payload.get(key), dict):
            payload = payload[key]
    if not isinstance(payload, dict):
        raise ValueError(f"checkpoint: {path} holds a {type(payload).__name__}, not a state dict")
    state = {k.removeprefix("module."): v for k, v in payload.items()}
    load_state_dict_checked(model, state, source=str(path))
    return model.eval()


def load_hf(local_dir: str | Path) -> nn.Module:
    """``ViTForImageClassification.from_pretrained(local_dir)`` offline, eager attention, strict."""
    from transformers import ViTForImageClassification

    path = Path(local_dir)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"model: {path} is not an HF model directory (no config.json)")
    try:
        model, info = ViTForImageClassification.from_pretrained(
            path, local_files_only=True, attn_implementation="eager", output_loading_info=True
        )
    except (OSError, RuntimeError) as err:
        raise ValueError(f"checkpoint: {path} does not match its config ({err})") from err
    problems = {k: v for k, v in info.items() if v and k != "error_msgs"}
    if problems or info.get("error_msgs"):
        raise ValueError(f"checkpoint: {path} does not match its config: {problems or info}")
    return model.eval()


def load_vit(spec: str | Path) -> nn.Module:
    """A model from ``PATH`` (paperzoo checkpoint), ``timm:NAME:PATH`` or ``hf:DIR``."""
    text = str(spec)
    if text.startswith("timm:"):
        name, sep, path = text.removeprefix("timm:").partition(":")
        if not sep or not name or not path:
            raise ValueError(f"model: expected timm:NAME:PATH, got {text!r}")
        return load_timm(name, path)
    if text.startswith("hf:"):
        return load_hf(text.removeprefix("hf:"))
    return load_small_vit(text)[0]
