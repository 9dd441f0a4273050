"""On-device paths: int8 dynamic quantisation and ONNX export run with onnxruntime, each checked
against the float torch model (docs/mmhar.md §2.7)."""

from __future__ import annotations

import copy
import io

import numpy as np
import torch
from torch import Tensor, nn

from paperzoo.mmhar.models import MultimodalNet


class _Positional(nn.Module):
    """``MultimodalNet`` with positional inputs (one tensor per modality, then ``present``)."""

    def __init__(self, model: MultimodalNet):
        super().__init__()
        self.model = model

    def forward(self, *inputs: Tensor) -> Tensor:
        *xs, present = inputs
        return self.model(dict(zip(self.model.names, xs, strict=True)), present)


def quantize_int8(model: MultimodalNet) -> nn.Module:
    """A copy with ``Linear``/``LSTM``/``GRU`` weights dynamically quantised to int8."""
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(copy.deepcopy(model).eval(), {nn.Linear, nn.LSTM, nn.GRU}, torch.qint8)


def onnx_session(model: MultimodalNet, example: dict[str, Tensor], present: Tensor):
    """An onnxruntime session of ``model`` (eval mode, dynamic batch), one thread."""
    import onnxruntime as ort

    wrapped = _Positional(copy.deepcopy(model).eval())
    names = [*model.names, "present"]
    buffer = io.BytesIO()
    torch.onnx.export(
        wrapped,
        (*[example[n] for n in model.names], present),
        buffer,
        input_names=names,
        output_names=["log_probs"],
        dynamic_axes={n: {0: "batch"} for n in [*names, "log_probs"]},
        dynamo=False,
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def run_onnx(session, example: dict[str, Tensor], present: Tensor) -> np.ndarray:
    feeds = {n: v.numpy() for n, v in example.items()}
    feeds["present"] = present.numpy()
    return session.run(None, feeds)[0]
