"""One library call per CLI command: train, evaluate, export-packed, predict."""

from __future__ import annotations

import warnings
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.bimtdp.bimtdp import delta_m
from paperzoo.bimtdp.config import LOWER_BETTER, NYUD_TASKS, ModelConfig
from paperzoo.bimtdp.data import CLASSES
from paperzoo.bimtdp.experiments import (
    load_model,
    model_config,
    regime,
    single_task_metrics,
    splits,
    train_config,
    trained,
)
from paperzoo.bimtdp.metrics import evaluate
from paperzoo.bimtdp.models import MultiTaskNet
from paperzoo.bimtdp.packed import kernel_info
from paperzoo.bimtdp.packed_model import (
    encoder_kernel,
    export_packed,
    model_bytes,
    packed_weight_bytes,
)
from paperzoo.bimtdp.training import train
from paperzoo.core.io import load_weights_only, save_checkpoint
from paperzoo.core.plot import new_figure, save_figure
from paperzoo.core.registry import Scale


def load_checkpoint(path: str | Path) -> tuple[MultiTaskNet, dict[str, Any]]:
    """A model saved by :func:`train_checkpoint` and its meta (scale, seed, config)."""
    payload = load_weights_only(path)
    if not isinstance(payload, dict) or "meta" not in payload or "model" not in payload["meta"]:
        raise ValueError(f"checkpoint: {path} is not a bimtdp checkpoint (no meta.model)")
    meta = payload["meta"]
    cfg = ModelConfig(**{**meta["model"], "tasks": tuple(meta["model"]["tasks"])})
    model = MultiTaskNet(cfg)
    missing, unexpected = model.load_state_dict(payload["state_dict"], strict=False)
    if missing or unexpected:
        raise ValueError(f"checkpoint: keys missing {missing[:4]}, unexpected {unexpected[:4]}")
    return model.eval(), meta


def train_checkpoint(
    variant: str,
    out: str | Path,
    scale: Scale = Scale.QUICK,
    seed: int = 0,
    tasks: tuple[str, ...] = NYUD_TASKS,
    binarizer: str | None = None,
    teacher: str | Path | None = None,
) -> dict[str, float]:
    """Train ``variant`` at ``scale`` (through the experiment cache unless a ``teacher``
    checkpoint is given), write it to ``out`` and return its test metrics."""
    scale = Scale.parse(scale)
    cfg = replace(model_config(variant, scale, tuple(tasks)), binarizer=binarizer)
    tcfg, data = train_config(scale, seed), regime(scale).data
    if teacher is None:
        model, metrics = load_model(cfg, tcfg, data), trained(cfg, tcfg, data)["metrics"]
    else:
        teacher_model, _ = load_checkpoint(teacher)
        tr, te = splits(data)
        model = train(cfg, tcfg, tr, teacher_model)
        metrics = evaluate(model, te)
    meta = {"model": asdict(cfg), "scale": str(scale), "seed": seed, "metrics": metrics}
    save_checkpoint(out, model, meta)
    return metrics


def evaluate_checkpoint(path: str | Path, with_delta_m: bool = True) -> dict[str, float]:
    """Test metrics of a checkpoint at its scale; Δ_m (%) vs FP single-task baselines."""
    model, meta = load_checkpoint(path)
    scale = Scale.parse(meta["scale"])
    _, te = splits(regime(scale).data)
    metrics = evaluate(model, te)
    if with_delta_m and set(NYUD_TASKS) <= set(model.cfg.tasks):
        metrics["delta_m"] = 100 * delta_m(metrics, single_task_metrics(scale), LOWER_BETTER)
    return metrics


def export_checkpoint(
    path: str | Path, out: str | Path, kernel: str | None = None
) -> dict[str, Any]:
    """Convert a binary student to the packed model, check it against the float model on the
    test images, and save the packed tensors; returns sizes, agreement and the kernel used."""
    model, meta = load_checkpoint(path)
    if model.cfg.variant == "fp":
        raise ValueError("checkpoint: an fp model has no binary convs to pack")
    packed = export_packed(model, kernel)
    _, te = splits(regime(Scale.parse(meta["scale"])).data)
    x = te.rgb[:64]
    with torch.no_grad():
        ref, got = model(x), packed(x)
    agree = {t: float((ref["out"][t] - got["out"][t]).abs().max()) for t in model.cfg.tasks}
    if "semseg" in model.cfg.tasks:
        same = ref["out"]["semseg"].argmax(1) == got["out"]["semseg"].argmax(1)
        agree["semseg_label_agreement"] = float(same.float().mean())
    fp32, bits = packed_weight_bytes(packed)
    tensors = {
        name: {
            "packed": m.conv.packed,
            "scale": m.conv.scale,
            "bias": m.conv.bias,
            "threshold": m.threshold,
        }
        for name, m in packed.named_modules()
        if hasattr(m, "conv") and hasattr(m.conv, "packed")
    }
    torch.save({"blocks": tensors, "fp_state_dict": model.state_dict(), "meta": meta}, out)
    info = kernel_info(kernel or encoder_kernel())
    return {
        "kernel": info.name,
        "kernel_note": info.note,
        "binary_weight_bytes_fp32": fp32,
        "binary_weight_bytes_packed": bits,
        "model_bytes_fp32": sum(t.numel() * 4 for t in model.state_dict().values()),
        "model_bytes_packed": model_bytes(packed),
        "max_abs_diff": agree,
    }


def read_image(path: str | Path, size: int) -> tuple[Tensor, list[str]]:
    """An image file as [1, 3, size, size] in [0, 1], and notes on what was converted."""
    from matplotlib import image as mpimg

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image: no such file {path}")
    try:
        arr = np.asarray(mpimg.imread(path), dtype=np.float32)
    except Exception as err:
        raise ValueError(f"image: cannot read {path} ({err})") from err
    notes = []
    if arr.max() > 1.0:
        arr = arr / 255.0
    if arr.ndim == 2:
        arr, notes = np.repeat(arr[..., None], 3, -1), ["grayscale image replicated to RGB"]
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"image: expected H×W, H×W×3 or H×W×4, got shape {arr.shape}")
    if arr.shape[2] == 4:
        arr, notes = arr[..., :3], [*notes, "alpha channel dropped"]
    if not np.isfinite(arr).all():
        raise ValueError("image: contains NaN or infinity")
    x = torch.from_numpy(arr).permute(2, 0, 1)[None]
    if x.shape[2:] != (size, size):
        notes.append(f"resized {x.shape[3]}×{x.shape[2]} to the model's {size}×{size}")
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x.clamp(0, 1).contiguous(), notes


def predict_image(
    checkpoint: str | Path, image: str | Path, out: str | Path, packed: bool = True
) -> dict[str, Any]:
    """Run a checkpoint on an image and write its task maps side by side as one PNG."""
    model, meta = load_checkpoint(checkpoint)
    x, notes = read_image(image, regime(Scale.parse(meta["scale"])).data.size)
    runner = model
    kernel = "float model"
    if packed and model.cfg.variant != "fp":
        if model.cfg.binarizer_name in ("bidense",):
            notes.append("bidense has no packed form: float model used")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                runner = export_packed(model)
            kernel = kernel_info(encoder_kernel()).name
    with torch.no_grad():
        r = runner(x)["out"]
    panels = [("input", x[0].permute(1, 2, 0).numpy(), None)]
    for t in model.cfg.tasks:
        p = r[t][0]
        if t == "semseg":
            panels.append((t, p.argmax(0).numpy(), "tab10"))
        elif t == "normals":
            panels.append((t, (0.5 + 0.5 * p.permute(1, 2, 0)).clamp(0, 1).numpy(), None))
        elif t == "depth":
            panels.append((t, p[0].numpy(), "viridis"))
        else:
            panels.append((t, torch.sigmoid(p[0]).numpy(), "gray"))
    fig, axes = new_figure(1, len(panels), figsize=(2.2 * len(panels), 2.4), squeeze=False)
    for ax, (title, img, cmap) in zip(axes[0], panels, strict=True):
        kw = {"vmin": 0, "vmax": len(CLASSES) - 1} if title == "semseg" else {}
        ax.imshow(img, cmap=cmap, interpolation="nearest", **kw)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    path = save_figure(fig, out)
    return {"out": str(path), "tasks": list(model.cfg.tasks), "runner": kernel, "notes": notes}
