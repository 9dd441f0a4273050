import pytest

from paperzoo.navdiff.config import (
    DiffusionConfig,
    EnvConfig,
    PlannerConfig,
    SelectConfig,
    TrainConfig,
)


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (EnvConfig, {"size": 3}, "size"),
        (EnvConfig, {"view_range": 0}, "view_range"),
        (EnvConfig, {"min_distance": -1.0}, "min_distance"),
        (PlannerConfig, {"gamma": 1.5}, "gamma"),
        (PlannerConfig, {"k": 0}, "k"),
        (DiffusionConfig, {"horizon": 7}, "horizon"),
        (DiffusionConfig, {"n_bits": 3}, "n_bits"),
        (DiffusionConfig, {"sample_steps": 200}, "sample_steps"),
        (SelectConfig, {"selection": "best"}, "selection"),
        (SelectConfig, {"n_plans": 0}, "n_plans"),
        (TrainConfig, {"expert": "oracle"}, "expert"),
        (TrainConfig, {"planner_lr": 0.0}, "planner_lr"),
    ],
)
def test_bad_values_name_the_field(cls, kwargs, field):
    with pytest.raises(ValueError, match=field):
        cls(**kwargs)


def test_defaults_are_the_papers():
    assert PlannerConfig().k == 60 and PlannerConfig().gamma == 0.99
    assert DiffusionConfig().horizon == 8 and DiffusionConfig().sample_steps == 10
    assert SelectConfig().n_plans == 20 and SelectConfig().selection == "memory"
    assert EnvConfig().size == 15 and EnvConfig().view_range == 2
