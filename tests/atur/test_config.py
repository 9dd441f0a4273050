import pytest

from paperzoo.atur.config import (
    AttackConfig,
    CPConfig,
    MethodConfig,
    TrainSettings,
    from_dict,
    parse_attack,
)


@pytest.mark.parametrize(
    "cls, field, value",
    [
        (AttackConfig, "eps", 0.0),
        (AttackConfig, "eps", -0.1),
        (AttackConfig, "eps", float("nan")),
        (AttackConfig, "steps", 0),
        (AttackConfig, "norm", "l1"),
        (CPConfig, "alpha", 0.0),
        (CPConfig, "alpha", 1.0),
        (CPConfig, "alpha", 1.5),
        (CPConfig, "score", "naive"),
        (CPConfig, "cal_fraction", 1.0),
        (MethodConfig, "method", "at-magic"),
        (MethodConfig, "beta_a", 0.5),
        (MethodConfig, "lambda_em", -1.0),
        (TrainSettings, "attack_eps", 0.0),
        (TrainSettings, "lr", -1.0),
        (TrainSettings, "epochs", 0),
    ],
)
def test_bad_values_name_the_parameter(cls, field, value):
    with pytest.raises(ValueError, match=field) as info:
        cls(**{field: value})
    assert str(info.value).startswith(field)
    assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_method_parts():
    m = MethodConfig("fat-beta-em")
    assert (m.base, m.uses_beta, m.uses_em, m.loss_scale_control) == ("fat", True, True, False)
    assert MethodConfig("at-scale").loss_scale_control and not MethodConfig("at").uses_em
    assert MethodConfig("trades-em").uses_em and not MethodConfig("trades-em").uses_beta


def test_parse_attack():
    a = parse_attack("pgd100", 0.1)
    assert (a.name, a.steps, a.alpha, a.random_start) == ("pgd", 100, 0.025, False)
    assert parse_attack("pgdl2-20", 0.5).norm == "l2"
    assert parse_attack("aa", 0.03).name == "aa" and parse_attack("none", 0.1) is None
    with pytest.raises(ValueError, match="attack"):
        parse_attack("cw", 0.1)
    with pytest.raises(ValueError, match="eps"):
        parse_attack("pgd10", -0.1)


def test_from_dict_lists_unknown_keys():
    assert from_dict(CPConfig, {"alpha": 0.2}).alpha == 0.2
    with pytest.raises(ValueError, match="unknown keys.*'colour'"):
        from_dict(CPConfig, {"alpha": 0.2, "colour": 1})
