"""ViT host adapters, one module per host, and the registry :func:`~paperzoo.core.vit.adapt` walks.

Built in: ``paperzoo`` (:mod:`.smallvit`: :class:`~paperzoo.core.vit.model.SmallViT`),
``timm`` (:mod:`.timm_vit`: ``VisionTransformer``, DeiT's ``VisionTransformerDistilled``, register
tokens), ``hf`` (:mod:`.hf_vit`: ``ViTForImageClassification``) and ``hf_clip`` (:mod:`.hf_clip`:
``CLIPVisionModel``, capture only: re-forward from weights is refused). Each module's docstring says
what it accepts and what it refuses.

Adding a host (e.g. the SAM image encoder) is one new module in this folder;
every module whose name does not start with ``_`` is imported when a host is looked up:

1. Subclass :class:`~paperzoo.core.vit.adapters.ViTAdapter` (:class:`.timm_vit.TimmLayoutAdapter`
   for timm-like layouts). ``__init__`` sets ``image_size``, ``in_chans``, ``num_classes``,
   ``num_heads``, ``grid``, ``num_prefix_tokens`` and ``cls_index`` (prefix tokens first, then the
   patches row-major) and raises one ``ValueError`` for any configuration the capture contract
   cannot describe. Implement ``blocks``, ``_prob_site`` (the module whose output carries the
   softmax attention ``[B, H, N, N]``, and how to read it), ``_norm2`` (the module whose input is
   Y), ``_enter_flags`` (switch to materialised attention; return the undo), ``logits``,
   ``pos_embed`` and ``_weights`` (exact, or a ``ValueError`` naming the part it cannot describe).
2. Decorate it with ``@register_host("name", recognises, "what it adapts")``. ``recognises(model)``
   must be cheap and must not import optional libraries: look the host's class up in
   ``sys.modules`` (a model of a library that is not imported cannot exist).
3. Add its configurations to the conformance tests in ``tests/core/test_vit.py`` (capture, and
   re-forward from :meth:`~paperzoo.core.vit.adapters.ViTAdapter.weights` equal to the forward).

Exactly one host may recognise a model; a second class registered under a taken name raises.
"""

from paperzoo.core.vit.hosts._registry import HOSTS, Host, find_host, hosts, register_host
from paperzoo.core.vit.hosts.hf_clip import HFCLIPVisionAdapter
from paperzoo.core.vit.hosts.hf_vit import HFViTAdapter
from paperzoo.core.vit.hosts.smallvit import SmallViTAdapter
from paperzoo.core.vit.hosts.timm_vit import TimmLayoutAdapter, TimmViTAdapter

__all__ = [
    "HOSTS", "HFCLIPVisionAdapter", "HFViTAdapter", "Host", "SmallViTAdapter", "TimmLayoutAdapter",
    "TimmViTAdapter",
    "find_host", "hosts", "register_host",
]  # fmt: skip
