import pytest

from paperzoo.bimtdp.packed import has_vpopcntdq, kernel_info
from paperzoo.core.io import CACHE_ENV


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Cached runs go to this session's temporary folder, but the compiled kernel is shared
    across the session (it is keyed by its source, so one build serves every test)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(params=["amx", "avx512", "portable"])
def cpp_kernel(request):
    """Each C++ kernel this machine can run; the others skip, saying why."""
    kernel = request.param
    try:
        kernel_info(kernel)
    except RuntimeError as err:  # the AMX kernel refuses to start without AMX
        pytest.skip(f"no {kernel} kernel here: {err}")
    if kernel == "avx512" and not has_vpopcntdq():
        pytest.skip("no avx512 kernel here: CPU lacks avx512_vpopcntdq")
    return kernel
