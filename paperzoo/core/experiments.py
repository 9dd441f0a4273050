"""One experiment cache for every system.

An experiment is a function whose result the claims read (a training run, a study, an EOS scan).
Decorated with :func:`experiment`, each call is keyed by the system, the function, its arguments
(settings as frozen dataclasses, seed, :class:`~paperzoo.core.registry.Scale`), a digest of the
source code that decides its numbers, the versions of the libraries it runs on and the environment
variables that choose its data. The result is kept in memory and on disk under
``cache_root()/experiments/<system>/<function>/``, written atomically; a per-entry file lock makes
concurrent writers (``paperzoo reproduce --jobs N``, or several machines sharing one cache folder)
compute each entry once. An interrupted report resumes from what is on disk.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import hashlib
import importlib
import inspect
import json
import os
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

import torch

from paperzoo.core.io import atomic_write, cache_root

P = ParamSpec("P")
R = TypeVar("R")
LIBRARIES = ("torch", "numpy", "scipy")
KEY_FIELD = "experiment_key"
DISABLE_ENV = "PAPERZOO_NO_CACHE"  # "1": compute every experiment afresh, write nothing


def canonical(value: Any) -> Any:
    """A JSON-ready form of an experiment argument that is equal exactly when the values are.

    Accepts None, bool, int, float, str, enums, paths, tuples/lists, dicts with string keys and
    dataclasses (tagged with their class name); anything else raises ``TypeError``.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)  # exact, and distinguishes 1.0 from 1
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("experiment arguments: dict keys must be strings")
        return {k: canonical(value[k]) for k in sorted(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__class__": type(value).__qualname__, **fields}
    raise TypeError(
        f"experiment arguments must be plain values or dataclasses, got {type(value).__name__}"
    )


@cache
def source_digest(modules: tuple[str, ...]) -> str:
    """SHA-256 over the source of ``modules`` (a package means every ``.py`` file under it)."""
    h = hashlib.sha256()
    for name in sorted(modules):
        module = importlib.import_module(name)
        path = Path(module.__file__ or "")
        files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
        for file in files:
            h.update(str(file.relative_to(path.parent)).encode())
            h.update(file.read_bytes())
    return h.hexdigest()


@cache
def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of ``names`` (``"absent"`` for one that is not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (a lock file) across processes; a no-op without fcntl."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one writer at a time is then the user's business
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Experiment(Generic[P, R]):
    """A cached function; see :func:`experiment`. Call it like the function it wraps."""

    def __init__(
        self,
        fn: Callable[P, R],
        code: Sequence[str],
        libraries: Sequence[str],
        env: Sequence[str],
        binary: bool,
    ) -> None:
        self.fn = fn
        parts = fn.__module__.split(".")
        in_package = parts[0] == "paperzoo" and len(parts) > 1
        self.system = parts[1] if in_package else fn.__module__
        self.name = fn.__qualname__
        self.code = tuple(code) or (
            (f"paperzoo.{self.system}",) if in_package else (fn.__module__,)
        )
        self.libraries = tuple(libraries)
        self.env = tuple(env)
        self.binary = binary
        self._memory: dict[str, R] = {}
        self._signature = inspect.signature(fn)
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def key(self, *args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        """Everything that decides the result of this call, as plain JSON (arguments bound to
        the signature with defaults applied, so ``f(1)`` and ``f(x=1)`` share one entry)."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{self.name}: {err}") from None
        bound.apply_defaults()
        return {
            "system": self.system,
            "experiment": self.name,
            "args": canonical(dict(bound.arguments)),
            "code": source_digest(self.code),
            "libraries": library_versions(self.libraries),
            "env": {name: os.environ.get(name, "") for name in self.env},
        }

    def path(self, *args: P.args, **kwargs: P.kwargs) -> Path:
        """The cache file of this call."""
        key = self.key(*args, **kwargs)
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        suffix = ".pt" if self.binary else ".json"
        return cache_root() / "experiments" / self.system / self.name / f"{digest}{suffix}"

    def cached(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Whether this call's result is on disk already."""
        return self.path(*args, **kwargs).is_file()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if os.environ.get(DISABLE_ENV) == "1":
            return self.fn(*args, **kwargs)
        path = self.path(*args, **kwargs)  # memo by full path: a new cache root is a new cache
        if str(path) not in self._memory:
            self._memory[str(path)] = self._load_or_compute(path, args, kwargs)
        return copy.deepcopy(self._memory[str(path)])

    def call(self, *args: P.args, **kwargs: P.kwargs) -> ExperimentCall:
        """This call, not yet run (for :func:`run_calls`)."""
        return ExperimentCall(self.fn.__module__, self.name, args, kwargs)

    def _load_or_compute(self, path: Path, args: Any, kwargs: Any) -> R:
        result = self._read(path)
        if result is not None:
            return result
        with _locked(path.with_suffix(".lock")):
            result = self._read(path)  # another process may have written it meanwhile
            if result is not None:
                return result
            result = self.fn(*args, **kwargs)
            key = self.key(*args, **kwargs)
            if self.binary:  # stored flat, so a cached checkpoint is also loadable as one
                if not isinstance(result, dict) or KEY_FIELD in result:
                    raise TypeError(f"{self.name}: a binary experiment must return a dict")
                with atomic_write(path, "wb") as handle:
                    torch.save({**result, KEY_FIELD: key}, handle)
            else:
                with atomic_write(path) as handle:
                    json.dump({KEY_FIELD: key, "result": result}, handle, allow_nan=True)
            return result

    def forget(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Drop this call's cached result (memory and disk), so the next call recomputes it."""
        path = self.path(*args, **kwargs)
        self._memory.pop(str(path), None)
        path.unlink(missing_ok=True)

    def _read(self, path: Path) -> Any:
        if not path.is_file():
            return None
        try:
            if self.binary:
                payload = torch.load(path, map_location="cpu", weights_only=True)
            else:
                payload = json.loads(path.read_text())
        except Exception:  # a damaged entry (e.g. a disk filled mid-write) is recomputed
            return None
        if not isinstance(payload, dict) or KEY_FIELD not in payload:
            return None
        if self.binary:
            payload.pop(KEY_FIELD)
            return payload
        return payload.get("result")


def experiment(
    *,
    code: Sequence[str] = (),
    libraries: Sequence[str] = LIBRARIES,
    env: Sequence[str] = (),
    binary: bool = False,
) -> Callable[[Callable[P, R]], Experiment[P, R]]:
    """Decorator: cache ``fn``'s results on disk, keyed by its arguments and code.

    ``code``: modules (packages: every file under them) whose source decides the result; default
    the declaring system's package. ``libraries``: distributions whose versions are part of the
    key. ``env``: environment variables that choose the data (e.g. a dataset folder).
    ``binary``: results hold tensors (stored with ``torch.save``, read with ``weights_only``);
    otherwise they must be JSON (dicts of numbers, strings, lists).
    """

    def wrap(fn: Callable[P, R]) -> Experiment[P, R]:
        return Experiment(fn, code, libraries, env, binary)

    return wrap


@dataclass(frozen=True)
class ExperimentCall:
    """One planned experiment call that a worker process can make (picklable by name)."""

    module: str
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def experiment(self) -> Experiment[..., Any]:
        obj: Any = importlib.import_module(self.module)
        for part in self.name.split("."):
            obj = getattr(obj, part)
        if not isinstance(obj, Experiment):
            raise TypeError(f"{self.module}.{self.name} is not an @experiment")
        return obj

    def run(self) -> None:
        self.experiment()(*self.args, **self.kwargs)

    def cached(self) -> bool:
        return self.experiment().cached(*self.args, **self.kwargs)

    def describe(self) -> str:
        return f"{self.module}.{self.name}"


def _worker_init(threads: int, environ: dict[str, str], package_path: list[str]) -> None:
    """A worker sees the parent's environment and system folders as they are now: a fork server
    keeps those of its own start, which an earlier pool in this process may have fixed."""
    os.environ.clear()
    os.environ.update(environ)
    import paperzoo

    paperzoo.__path__[:] = package_path
    torch.set_num_threads(threads)


def _run_one(call: ExperimentCall) -> str:
    call.run()
    return call.describe()


def run_calls(
    calls: Sequence[ExperimentCall],
    jobs: int,
    on_done: Callable[[ExperimentCall, BaseException | None], None] | None = None,
    shuffle: bool = True,
) -> list[tuple[ExperimentCall, BaseException]]:
    """Fill the cache for ``calls`` (duplicates and cached ones skipped) in ``jobs`` processes.

    Each worker gets ``cpu_count // jobs`` torch threads. ``shuffle``: start the calls in a
    per-process random order (machines sharing one cache start apart); ``False`` keeps the
    given order (a system that schedules its own calls, e.g. the longest first). Returns the
    calls that failed with their errors; the claims that read them then record the error.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs!r}")
    todo: dict[str, ExperimentCall] = {}
    for call in calls:
        exp = call.experiment()
        path = str(exp.path(*call.args, **call.kwargs))
        if path not in todo and not exp.cached(*call.args, **call.kwargs):
            todo[path] = call
    order = list(todo.values())
    if shuffle:
        random.Random(os.getpid()).shuffle(order)
    failures: list[tuple[ExperimentCall, BaseException]] = []
    if not order:
        return failures
    threads = max(1, (os.cpu_count() or 1) // jobs)
    import multiprocessing

    context = multiprocessing.get_context("spawn" if sys.platform != "linux" else "forkserver")
    if sys.platform == "linux":  # import the calls' modules once, in the fork server (a no-op
        # once it runs): a later pool then starts its workers without importing torch again
        context.set_forkserver_preload(["__main__", *sorted({call.module for call in order})])
    import paperzoo

    init = (threads, dict(os.environ), list(paperzoo.__path__))
    with ProcessPoolExecutor(jobs, context, initializer=_worker_init, initargs=init) as pool:
        futures = {pool.submit(_run_one, call): call for call in order}
        for future in as_completed(futures):
            call = futures[future]
            error = future.exception()
            if error is not None:
                failures.append((call, error))
            if on_done is not None:
                on_done(call, error)
    return failures
