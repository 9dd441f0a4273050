"""TokenTM: ViT explanations weighting attention by token transformation effects (arXiv:2403.14552).

Paper: "Token Transformation Matters: Towards Faithful Post-hoc Explanation for Vision Transformer",
Wu et al., arXiv:2403.14552 (CVPR 2024). TokenTM measures how much each attention and MLP sub-layer
changes every token (length ratio × normalised exponential cosine, NECC), weights gradient-gated
attention by it, and aggregates over all layers from an initial state C₀ = diag(‖Z₀,i‖).
"""

from paperzoo.core.interfaces import Explainer, upsample_map
from paperzoo.tokentm.baselines import (
    AttentionGradCAM,
    CheferLRP,
    GenAtt,
    IntegratedGradients,
    RandomMap,
    RawAttention,
    Rollout,
)
from paperzoo.tokentm.config import EvalConfig, TokenTMConfig
from paperzoo.tokentm.evaluate import evaluate_explainer, evaluate_methods
from paperzoo.tokentm.explainer import TokenTM

EXPLAINERS: dict[str, type[Explainer]] = {
    cls.name: cls
    for cls in (
        TokenTM, RandomMap, RawAttention, Rollout, AttentionGradCAM, GenAtt, CheferLRP,
        IntegratedGradients,
    )
}  # fmt: skip


def get_explainer(name: str) -> type[Explainer]:
    """The explainer class registered under ``name`` (``paperzoo.core.registry.explainer``).

    Covers ``EXPLAINERS`` (registered in ``paperzoo.tokentm.explainers``) and any other system's;
    this system's own are found without importing the others.
    """
    if name in EXPLAINERS:
        return EXPLAINERS[name]
    from paperzoo.core.registry import explainer

    return explainer(name)


ENTRY_POINTS = ("TokenTM", "TokenTMConfig", "get_explainer", "evaluate_methods")
__all__ = [
    "EXPLAINERS", "ENTRY_POINTS", "AttentionGradCAM", "CheferLRP", "EvalConfig", "Explainer",
    "GenAtt", "IntegratedGradients", "RandomMap", "RawAttention", "Rollout", "TokenTM",
    "TokenTMConfig", "evaluate_explainer", "evaluate_methods", "get_explainer", "upsample_map",
]  # fmt: skip
