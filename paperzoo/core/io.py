"""Atomic file writes, checkpoints that fail with clear messages, and the cache folder."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import torch
from torch import nn

CACHE_ENV = "PAPERZOO_CACHE"


def cache_root() -> Path:
    """Where systems cache trained models and results: ``$PAPERZOO_CACHE`` or the user cache dir."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get(CACHE_ENV) or user_cache_dir("paperzoo"))


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    ensure_writable_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0o022)  # read the umask (it can only be read by setting it)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the final file open()'s mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_writable_dir(directory: str | Path) -> Path:
    """Create ``directory`` if needed; raise ``PermissionError`` naming it if not writable."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PermissionError(f"out: cannot create directory {directory} ({err.strerror})") from err
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(f"out: directory {directory} is not writable")
    return directory


def save_checkpoint(
    path: str | Path, model: nn.Module, meta: Mapping[str, Any] | None = None
) -> Path:
    """Write ``{"state_dict", "meta"}`` atomically; ``meta`` holds plain types (config, metrics)."""
    path = Path(path)
    payload = {"state_dict": model.state_dict(), "meta": dict(meta or {})}
    with atomic_write(path, "wb") as handle:
        torch.save(payload, handle)
    return path


def load_weights_only(path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``; a file it refuses gives one ``ValueError`` line.

    Files holding pickled Python objects are refused, never unpickled: the message says to re-save
    the ``state_dict`` instead (torch's own message advises ``weights_only=False``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint: no such file {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several unrelated types for a damaged file
        text = str(err)
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if found:
            raise ValueError(
                f"checkpoint: {path} holds a pickled Python object ({found[1]}), not only tensors; "
                "paperzoo loads weights only: save the model's state_dict() instead"
            ) from err
        text = text.split("WeightsUnpickler error:")[-1]  # drop torch's advice to unpickle
        line = next((line.strip() for line in text.splitlines() if line.strip()), "")
        first = re.split(r"\.\s", line, maxsplit=1)[0]  # first sentence
        detail = f"{type(err).__name__}: {first}" if first else type(err).__name__
        raise ValueError(f"checkpoint: {path} is corrupt or not a torch file ({detail})") from err


def load_checkpoint(
    path: str | Path, model: nn.Module | None = None, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; optionally load it into ``model`` strictly.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a corrupt file or
    mismatched keys/shapes (naming them).
    """
    payload = load_weights_only(path, map_location)
    if not isinstance(payload, dict) or "state_dict" not in payload:
        raise ValueError(f"checkpoint: {path} has no 'state_dict' (not a paperzoo checkpoint)")
    if model is not None:
        load_state_dict_checked(model, payload["state_dict"], source=str(path))
    return payload


def load_state_dict_checked(
    model: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str = "state_dict"
) -> None:
    """Strict ``load_state_dict`` with one message naming missing, extra and misshapen keys."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    extra = sorted(set(state_dict) - set(own))
    shapes = [
        f"{k}: checkpoint {tuple(state_dict[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state_dict and tuple(state_dict[k].shape) != tuple(own[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f"missing keys {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if extra:
        problems.append(f"unexpected keys {extra[:5]}{' ...' if len(extra) > 5 else ''}")
    if shapes:
        problems.append(f"shape mismatch {shapes[:3]}{' ...' if len(shapes) > 3 else ''}")
    if problems:
        raise ValueError(f"checkpoint: {source} does not match the model: {'; '.join(problems)}")
    model.load_state_dict(state_dict, strict=True)
