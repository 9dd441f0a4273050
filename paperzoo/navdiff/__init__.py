"""Value-Guided Diffusion Policy for Navigation under Partial Observability (arXiv:2404.02176).

Zhang et al., CVPR 2024 ("POVDP"). A diffusion policy samples N action plans conditioned on the
map seen so far; a differentiable CALVIN-style planner (learned transition kernels, an
available-action net, value iteration as convolutions, a QMDP belief filter) scores them; the best
valid plan, with the previous best plan's tail as an extra candidate, is executed in a receding
horizon. Here: the GridMaze2D Gymnasium environment (batched numpy), experts, the planner and the
diffusion policy trained by imitation, plan selection and its ablations. Notes: docs/navdiff.md.
"""

from paperzoo.navdiff.baselines import calvin_actions, single_sample_plans
from paperzoo.navdiff.config import (
    SELECTIONS,
    DiffusionConfig,
    EnvConfig,
    PlannerConfig,
    SelectConfig,
    TrainConfig,
)
from paperzoo.navdiff.data import eval_seeds, expert_data, plan_windows, train_seeds
from paperzoo.navdiff.diffusion import (
    ConditionalUnet1D,
    DiffusionPolicy,
    MapEncoder,
    decode_bits,
    encode_bits,
    observed_crop,
)
from paperzoo.navdiff.env import ENV_ID, GridMazeEnv, Observation, VecGridMaze, check_layout
from paperzoo.navdiff.evaluate import evaluate
from paperzoo.navdiff.experts import (
    dijkstra_actions,
    goal_distances,
    optimistic_actions,
    run_expert,
)
from paperzoo.navdiff.maze import (
    MOVES,
    distances,
    generate_mazes,
    valid_moves,
    visible_cells,
)
from paperzoo.navdiff.planner import (
    QMDPPlanner,
    available_actions,
    belief_correct,
    belief_predict,
    check_maps,
    goal_prior,
    qmdp_values,
    reward,
    transition_kernels,
    value_iteration,
)
from paperzoo.navdiff.selection import (
    known_moves,
    oracle_scores,
    plan_values,
    simulate,
    soft_plan_values,
    vote,
)
from paperzoo.navdiff.training import (
    load_checkpoint,
    save_checkpoint,
    train_diffusion,
    train_planner,
)

ENTRY_POINTS = ("GridMazeEnv", "VecGridMaze", "QMDPPlanner", "DiffusionPolicy", "evaluate")

__all__ = [
    "ENV_ID",
    "MOVES",
    "SELECTIONS",
    "ConditionalUnet1D",
    "DiffusionConfig",
    "DiffusionPolicy",
    "EnvConfig",
    "GridMazeEnv",
    "MapEncoder",
    "Observation",
    "PlannerConfig",
    "QMDPPlanner",
    "SelectConfig",
    "TrainConfig",
    "VecGridMaze",
    "available_actions",
    "belief_correct",
    "belief_predict",
    "calvin_actions",
    "check_layout",
    "check_maps",
    "decode_bits",
    "dijkstra_actions",
    "distances",
    "encode_bits",
    "eval_seeds",
    "evaluate",
    "expert_data",
    "generate_mazes",
    "goal_distances",
    "goal_prior",
    "known_moves",
    "load_checkpoint",
    "observed_crop",
    "optimistic_actions",
    "oracle_scores",
    "plan_values",
    "plan_windows",
    "qmdp_values",
    "reward",
    "run_expert",
    "save_checkpoint",
    "simulate",
    "single_sample_plans",
    "soft_plan_values",
    "train_diffusion",
    "train_planner",
    "train_seeds",
    "transition_kernels",
    "valid_moves",
    "value_iteration",
    "visible_cells",
    "vote",
]
