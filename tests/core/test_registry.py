import pytest

from paperzoo.core import registry
from paperzoo.core.registry import BenchResult, Registry, RegistryError, Scale, Verdict


def test_systems_are_discovered_from_the_package():
    keys = registry.system_keys()
    assert "core" not in keys
    assert keys == sorted(keys)
    for key in keys:
        assert registry.system_title(key)


def test_unknown_key_is_named():
    with pytest.raises(ValueError, match="unknown nosuchsystem"):
        registry.reproductions(["nosuchsystem"])


def test_scale_parses_names_and_refuses_typos():
    assert Scale.parse("quick") is Scale.QUICK and Scale.parse(Scale.FULL) is Scale.FULL
    with pytest.raises(ValueError, match="scale: unknown 'quik' \\(known: smoke, quick, full\\)"):
        Scale.parse("quik")
    assert [s.pick(smoke=1, quick=2, full=3) for s in Scale] == [1, 2, 3]
    with pytest.raises(TypeError):
        Scale.QUICK.pick(smoke=1, quick=2)  # every scale needs a value


def test_the_system_key_comes_from_the_registering_module():
    assert registry.system_of("paperzoo.atur.repro") == "atur"
    for bad in ("paperzoo.core.report", "tests.test_x", "paperzoo"):
        with pytest.raises(RegistryError, match="paperzoo.<key>"):
            registry.system_of(bad)

    def measure(seed, scale):
        return {"h": 1.0}

    measure.__module__ = "tests.core.test_registry"
    decorate = registry.reproduction(
        name="c1", title="t", claim="c", paper_value="p", headline="h",
        criterion=lambda runs: Verdict.partial("r"),
    )  # fmt: skip
    with pytest.raises(RegistryError, match="must come from a system module"):
        decorate(measure)


def _fn(module, qualname):
    def f():
        return None

    f.__module__, f.__qualname__ = module, qualname
    return f


def test_a_second_registration_under_a_taken_name_raises():
    reg: Registry[object] = Registry("thing")
    reg.add("a", 1, "paperzoo.x.repro:f")
    reg.add("a", 2, "paperzoo.x.repro:f")  # same origin (a reload) replaces
    assert reg.get("a") == 2 and len(reg) == 1
    with pytest.raises(RegistryError, match="'a' is already registered by paperzoo.x.repro:f"):
        reg.add("a", 3, "paperzoo.y.repro:g")
    with pytest.raises(RegistryError, match="thing: unknown 'b' \\(known: a\\)"):
        reg.get("b")
    reg.remove("a")
    assert "a" not in reg

    bench = registry.benchmark(name="dup", description="d")
    try:
        bench(_fn("paperzoo.zzreg.bench", "one"))
        with pytest.raises(RegistryError, match="zzreg.dup"):
            bench(_fn("paperzoo.zzreg.bench", "two"))
    finally:
        registry.BENCHMARKS.remove("zzreg.dup")


def test_bench_result_refuses_empty_or_nonpositive_timings():
    assert BenchResult("a", "b", [1.0, 2.0, 3.0], [4.0, 6.0, 8.0]).speedup == pytest.approx(3.0)
    for ours in ([], [0.0], [-1.0]):
        with pytest.raises(ValueError, match="ours_s must be a non-empty list of positive"):
            BenchResult("a", "b", ours, [1.0])


def test_explainers_are_found_by_name_across_systems():
    known = registry.explainers()
    if "tokentm" not in registry.system_keys():
        pytest.skip("no system registers explainers")
    assert {"tokentm", "genatt", "rollout", "random"} <= set(known)
    assert registry.explainer("tokentm").name == "tokentm"
    with pytest.raises(ValueError, match="unknown explainer 'nope'"):
        registry.explainer("nope")
    with pytest.raises(RegistryError, match="not a class with a string `name`"):
        registry.register_explainer(int)
