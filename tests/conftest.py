"""Every test session caches into its own temporary folder, never the user's cache."""

import os

import pytest

from paperzoo.core.io import CACHE_ENV


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory):
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("paperzoo-cache"))
    yield
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fashion_mnist: reads real Fashion-MNIST (skipped with a reason when it is not installed)",
    )


def pytest_collection_modifyitems(config, items):
    from paperzoo.core.data.placed import fashion_mnist_available

    if fashion_mnist_available():
        return
    skip = pytest.mark.skip(
        reason="real Fashion-MNIST not found: apt-get install dataset-fashion-mnist, "
        "or set PAPERZOO_FASHION_MNIST to a folder of its IDX files"
    )
    for item in items:
        if "fashion_mnist" in item.keywords:
            item.add_marker(skip)
