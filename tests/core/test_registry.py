import pytest

from paperzoo.core import registry
from paperzoo.core.registry import BenchResult


def test_systems_are_discovered_from_the_package():
    keys = registry.system_keys()
    assert "core" not in keys
    assert keys == sorted(keys)
    for key in keys:
        assert registry.system_title(key)


def test_unknown_key_is_named():
    with pytest.raises(ValueError, match="unknown nosuchsystem"):
        registry.reproductions(["nosuchsystem"])


def test_decorators_register_by_qualified_name():
    @registry.reproduction(
        key="zz",
        name="c1",
        claim="c",
        paper_value="p",
        headline="h",
        criterion=lambda runs: registry.Verdict.partial("r"),
    )
    def measure(seed, scale):
        return {"h": 1.0}

    @registry.benchmark(key="zz", name="b1", description="d")
    def run(quick):
        return BenchResult("ours", "base", [1.0, 2.0, 3.0], [4.0, 6.0, 8.0])

    try:
        assert registry._REPRODUCTIONS["zz.c1"].measure is measure
        assert registry._BENCHMARKS["zz.b1"].run(True).speedup == pytest.approx(3.0)
    finally:
        registry._REPRODUCTIONS.pop("zz.c1")
        registry._BENCHMARKS.pop("zz.b1")


def test_explainers_are_found_by_name_across_systems():
    known = registry.explainers()
    if "tokentm" not in registry.system_keys():
        pytest.skip("no system registers explainers")
    assert {"tokentm", "genatt", "rollout", "random"} <= set(known)
    assert registry.explainer("tokentm").name == "tokentm"
    with pytest.raises(ValueError, match="unknown explainer 'nope'"):
        registry.explainer("nope")
