"""Full-integer TFLite for microcontrollers, and the real TFLite Micro runtime to check it.

- :func:`convert_int8`: PyTorch -> int8 ``.tflite`` with ``litert-torch``: channels-last
  input (as a camera or an MCU project hands images over), PT2E static quantization
  (symmetric, per-channel weights, int8 activations, int32 biases) calibrated on real
  images, int8 input and output. Every tensor of the result must be integer: a layer the
  converter left in float is refused by name.
- :func:`strip_names`: the converter names every tensor after its module path (a quarter
  of ResNet-8's file); the names go, the buffers stay 16-byte aligned.
- :class:`MicroRuntime`: the ``tflite-micro`` Python interpreter (TFLM's reference kernels)
  with its recording allocator: the arena it needed, head (planned tensors) and tail
  (persistent), and inference on int8 batches.

Both packages are the optional extra ``zeronas[mcu]``; without it, :data:`MCU_EXTRA` says
how to install it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from zeronas.errors import ZeroNASError

__all__ = [
    "MCU_EXTRA", "ArenaUse", "ConversionError", "MicroRuntime", "TFLiteModel",
    "c_array", "convert_int8", "read_model", "require_mcu_extra", "strip_names",
]  # fmt: skip

MCU_EXTRA = (
    "int8 TFLite export needs the optional extra: pip install 'zeronas[mcu]' "
    "(litert-torch, tflite-micro)"
)

#: TFLite tensor types that an int8 microcontroller graph may hold
_INTEGER_TYPES = {"INT8", "INT32", "INT64", "INT16", "UINT8", "BOOL"}


class ConversionError(ZeroNASError):
    """The converter could not lower a network to a full-integer graph."""


def require_mcu_extra() -> None:
    """Refuse with :data:`MCU_EXTRA` unless ``litert-torch`` and ``tflite-micro`` import."""
    import importlib.util

    missing = [m for m in ("litert_torch", "tflite_micro") if importlib.util.find_spec(m) is None]
    if missing:
        raise ZeroNASError(f"{MCU_EXTRA}; missing: {', '.join(missing)}")


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    return schema


@contextlib.contextmanager
def _quiet():
    """Silence the converter's narration (Python and C++ streams)."""
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1), os.dup2(null.fileno(), 2)
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                yield
        finally:
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])


def convert_int8(
    net: nn.Module, input_shape: tuple[int, int, int], calibration: Iterable[torch.Tensor]
) -> bytes:
    """``net`` as a full-integer ``.tflite`` (module docstring); ``calibration`` yields float
    N x C x H x W batches, normalised as the network was trained on them."""
    require_mcu_extra()
    with _quiet():  # the imports narrate too
        import litert_torch
        from litert_torch.quantize import pt2e_quantizer
        from litert_torch.quantize.quant_config import QuantConfig
        from torchao.quantization.pt2e import quantize_pt2e

    net = litert_torch.to_channel_last_io(net.eval(), args=[0])
    channels, height, width = input_shape
    example = (torch.zeros(1, height, width, channels),)
    config = pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True)
    quantizer = pt2e_quantizer.PT2EQuantizer().set_global(config)
    with _quiet():
        # strict (dynamo) export: the quantizer finds each residual sum by its source only then
        graph = torch.export.export(net, example, strict=True).module()
        graph = quantize_pt2e.prepare_pt2e(graph, quantizer)
        seen = 0
        with torch.no_grad():
            for batch in calibration:
                for image in batch.permute(0, 2, 3, 1):  # one image at a time: batch 1 graph
                    graph(image[None])
                    seen += 1
        if not seen:
            raise ConversionError("no calibration images: int8 scales need real inputs")
        graph = quantize_pt2e.convert_pt2e(graph, fold_quantize=False)
        try:
            edge = litert_torch.convert(
                graph, example, quant_config=QuantConfig(pt2e_quantizer=quantizer)
            )
        except Exception as exc:  # noqa: BLE001 -- the converter raises many kinds
            raise ConversionError(f"litert-torch could not convert the network: {exc}") from exc
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.tflite"
            edge.export(str(path))
            data = path.read_bytes()
    check_integer(data)
    return strip_names(data)


@dataclass(frozen=True)
class TFLiteModel:
    """What a ``.tflite`` holds: ops (builtin names, in execution order), tensor count,
    the activation tensors' shapes, and its size in bytes."""

    ops: tuple[str, ...]
    tensors: int
    size: int


def _op_names(model, schema) -> list[str]:
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        codes.append(names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM"))
    return codes


def read_model(data: bytes) -> TFLiteModel:
    schema = _schema()
    model = schema.Model.GetRootAs(data, 0)
    graph = model.Subgraphs(0)
    codes = _op_names(model, schema)
    ops = tuple(codes[graph.Operators(i).OpcodeIndex()] for i in range(graph.OperatorsLength()))
    return TFLiteModel(ops, graph.TensorsLength(), len(data))


def check_integer(data: bytes) -> None:
    """Refuse a graph with a float tensor or a (de)quantize op, naming the layer."""
    schema = _schema()
    model = schema.Model.GetRootAs(data, 0)
    graph = model.Subgraphs(0)
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    codes = _op_names(model, schema)
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        for t in [*op.InputsAsNumpy(), *op.OutputsAsNumpy()]:
            if t < 0:
                continue
            tensor = graph.Tensors(int(t))
            kind = types.get(tensor.Type(), str(tensor.Type()))
            if kind not in _INTEGER_TYPES or codes[op.OpcodeIndex()] in ("DEQUANTIZE", "QUANTIZE"):
                raise ConversionError(
                    f"the converter left op {i} ({codes[op.OpcodeIndex()]}) in {kind}: layer "
                    f"{_layer(tensor.Name())!r} has no int8 kernel here (use module "
                    "activations, AdaptiveAvgPool2d, conv / linear / add)"
                )


def _layer(name: bytes | None) -> str:
    """The module path in a converter tensor name, short: ``blocks.2.body.0.Conv2d_0``."""
    text = (name or b"?").decode(errors="replace").split(";")[0]
    parts = [p.rsplit(".", 1)[-1] for p in text.split("/")[1:]] or [text]
    return re.sub(r"^[A-Za-z0-9]+_", "", "/".join(parts)) if parts else text


def strip_names(data: bytes) -> bytes:
    """The model with empty tensor and signature names, its buffers 16-byte aligned."""
    import flatbuffers

    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    for graph in model.subgraphs:
        for tensor in graph.tensors:
            tensor.name = ""
        graph.name = ""
    model.signatureDefs = None  # TFLite Micro runs subgraph 0; signatures name tensors again
    builder = flatbuffers.Builder(len(data))
    buffers = [_pack_buffer(builder, b) for b in model.buffers]
    model.buffers = [_Packed(offset) for offset in buffers]
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class _Packed:
    """A buffer already in the builder: ``Pack`` returns its offset."""

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def Pack(self, builder) -> int:  # noqa: N802 -- the flatbuffers object API's name
        return self.offset


def _pack_buffer(builder, buffer) -> int:
    schema = _schema()
    data = None
    if buffer.data is not None and len(buffer.data):
        raw = np.asarray(buffer.data, dtype=np.uint8).tobytes()
        builder.StartVector(1, len(raw), 16)  # TFLite's force_align: 16
        builder.head -= len(raw)
        builder.Bytes[builder.head : builder.head + len(raw)] = raw
        data = builder.EndVector()
    schema.BufferStart(builder)
    if data is not None:
        schema.BufferAddData(builder, data)
    return schema.BufferEnd(builder)


def c_array(data: bytes, name: str = "g_model") -> str:
    """``data`` as a C source an MCU project compiles in (16-byte aligned, as TFLM needs)."""
    lines = [f"// int8 TFLite model, {len(data)} bytes; written by zeronas export --int8",
             "#include <stdint.h>", "", f"alignas(16) const uint8_t {name}[] = {{"]  # fmt: skip
    for start in range(0, len(data), 12):
        chunk = ", ".join(f"0x{b:02x}" for b in data[start : start + 12])
        lines.append(f"  {chunk},")
    lines += ["};", f"const unsigned int {name}_len = {len(data)};", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class ArenaUse:
    """TFLite Micro's arena, as its recording allocator reports it (bytes)."""

    total: int
    head: int
    tail: int
    parts: dict[str, int]


class MicroRuntime:
    """A model in the ``tflite-micro`` Python interpreter (TFLM reference kernels)."""

    def __init__(self, data: bytes, arena_size: int = 8 << 20) -> None:
        require_mcu_extra()
        from tflite_micro.python.tflite_micro import runtime

        self.interpreter = runtime.Interpreter.from_bytes(data, arena_size=arena_size)
        details = self.interpreter.get_input_details(0)
        self.input_shape = tuple(int(v) for v in details["shape"])
        quant = details["quantization_parameters"]
        self.input_scale, self.input_zero = float(quant["scales"][0]), int(quant["zero_points"][0])
        out = self.interpreter.get_output_details(0)["quantization_parameters"]
        self.output_scale, self.output_zero = float(out["scales"][0]), int(out["zero_points"][0])

    def quantize(self, images: np.ndarray) -> np.ndarray:
        """Float NHWC images (normalised) as the model's int8 input."""
        q = np.round(images / self.input_scale) + self.input_zero
        return np.clip(q, -128, 127).astype(np.int8)

    def logits(self, images: np.ndarray) -> np.ndarray:
        """Dequantized logits of float NCHW ``images``, one invocation per image."""
        rows = []
        for image in self.quantize(np.transpose(images, (0, 2, 3, 1))):
            self.interpreter.set_input(image[None], 0)
            self.interpreter.invoke()
            out = self.interpreter.get_output(0).astype(np.float32)
            rows.append((out.reshape(-1) - self.output_zero) * self.output_scale)
        return np.stack(rows)

    def arena(self) -> ArenaUse:
        """The recorder's report (run once after the first invocation)."""
        if not hasattr(self, "_invoked"):
            self.interpreter.set_input(np.zeros(self.input_shape, np.int8), 0)
            self.interpreter.invoke()
            self._invoked = True
        text = _captured_stderr(self.interpreter.print_allocations)
        values = {m[1]: int(m[2]) for m in re.finditer(r"Arena allocation (\w+) (\d+) bytes", text)}
        parts = {m[1]: int(m[2]) for m in re.finditer(r"'([^']+)' used (\d+) bytes", text)}
        if not {"total", "head", "tail"} <= set(values):
            raise ZeroNASError(
                f"the TFLite Micro recorder printed no arena summary: {text[:200]!r}"
            )
        return ArenaUse(values["total"], values["head"], values["tail"], parts)


def _captured_stderr(call) -> str:
    """What ``call`` writes to the process's C-level stderr."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            call()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode(errors="replace")
