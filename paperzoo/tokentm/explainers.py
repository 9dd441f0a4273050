"""TokenTM and its baselines, registered by name so other systems (SaCo) can use them."""

from paperzoo.core.registry import register_explainer
from paperzoo.tokentm import EXPLAINERS

for _explainer in EXPLAINERS.values():
    register_explainer(_explainer)
