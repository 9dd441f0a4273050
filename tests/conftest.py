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
