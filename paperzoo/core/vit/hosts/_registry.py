"""The host registry: name -> (predicate that recognises a model, adapter class)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from torch import nn

from paperzoo.core.registry import Registry, RegistryError, origin_of
from paperzoo.core.vit.adapters import ViTAdapter

A = TypeVar("A", bound=type[ViTAdapter])


@dataclass(frozen=True)
class Host:
    """One host: ``recognises(model)`` says whether ``adapter(model)`` is the adapter to use."""

    name: str
    recognises: Callable[[nn.Module], bool]
    adapter: type[ViTAdapter]
    models: str  # what it adapts, in words, for messages


HOSTS: Registry[Host] = Registry("host")


def register_host(
    name: str, recognises: Callable[[nn.Module], bool], models: str
) -> Callable[[A], A]:
    """Class decorator: register a :class:`ViTAdapter` subclass as host ``name`` (sets its
    ``host``); a second, different class under a taken name raises ``RegistryError``."""

    def register(cls: A) -> A:
        if not (isinstance(cls, type) and issubclass(cls, ViTAdapter)):
            raise RegistryError(f"host: {cls!r} is not a ViTAdapter subclass")
        HOSTS.add(name, Host(name, recognises, cls, models), origin_of(cls))
        cls.host = name
        return cls

    return register


@cache
def _import_host_modules() -> None:
    package = importlib.import_module("paperzoo.core.vit.hosts")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def hosts() -> list[Host]:
    """Every registered host, after importing each module of :mod:`paperzoo.core.vit.hosts`."""
    _import_host_modules()
    return list(HOSTS)


def find_host(model: object) -> Host:
    """The one host that recognises ``model``; ``ValueError`` when none or several do."""
    known = hosts()
    matches = [host for host in known if host.recognises(model)]
    if len(matches) == 1:
        return matches[0]
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    if not matches:
        supported = "; ".join(f"{h.name} ({h.models})" for h in sorted(known, key=lambda h: h.name))
        raise ValueError(f"model: no ViT host adapter recognises {kind}; supported: {supported}")
    names = ", ".join(host.name for host in matches)
    raise ValueError(f"model: {kind} is recognised by several hosts ({names}); make them disjoint")
