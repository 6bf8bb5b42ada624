"""A network as the int8 TFLite converter lays it out, written down from the arch alone:
activation tensors (NHWC, batch 1, one byte per value), the ops in execution order with
their constant operands, and, counted on the way, the PyTorch module's parameters and
multiply-accumulates. Memory and flash estimates (:mod:`zeronas.hardware.int8_memory`)
read it; ``benchmarks/mcu_estimator.py`` checks it against the converter's real graphs.

The converter's rules written here: BN and ReLU / ReLU6 fold into the conv before them
(and a ReLU after a sum into the ``ADD``); a depthwise conv is ``DEPTHWISE_CONV_2D``; a
conv whose symmetric PyTorch padding is not TensorFlow's ``SAME`` (stride 2 on an even
size) gets an explicit ``PAD`` to ``H + 2p`` first; global average pooling is ``MEAN``
(``SUM`` over a single pixel);
an in-network bilinear resize is ``RESIZE_BILINEAR``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Layer", "LayerGraph", "same_padding"]


@dataclass(frozen=True)
class Layer:
    """One TFLite op: its builtin name, the activation tensors it reads and writes, the
    shape of its int8 weight tensor (TFLite layout; () for none), its int32 bias elements
    (also the channels quantised one by one) and the int32 elements of other constant
    operands (pad widths, reduction axes, a resize's size)."""

    op: str
    inputs: tuple[int, ...]
    output: int
    weight: tuple[int, ...] = ()
    bias: int = 0
    operand: int = 0


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``SAME`` padding (before, after) of one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


@dataclass
class LayerGraph:
    """Activation ``shapes`` (tensor 0 is the input) and ``layers`` in execution order;
    ``params`` and ``macs`` of the PyTorch module (conv and linear MACs, as thop counts)."""

    shapes: list[tuple[int, ...]] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    params: int = 0
    macs: int = 0

    def tensor(self, shape: tuple[int, ...]) -> int:
        self.shapes.append(tuple(shape))
        return len(self.shapes) - 1

    def _add(self, layer: Layer) -> int:
        self.layers.append(layer)
        return layer.output

    def conv(
        self, x: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1,
        bias: bool = False, norm: bool = True,
    ) -> int:  # fmt: skip
        """``nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups, bias)`` [-> BN]."""
        h, w, c_in = self.shapes[x]
        pad = kernel // 2
        if pad and any(same_padding(n, kernel, stride) != (pad, pad) for n in (h, w)):
            x = self._add(
                Layer("PAD", (x,), self.tensor((h + 2 * pad, w + 2 * pad, c_in)), operand=8)
            )
            h, w, pad = h + 2 * pad, w + 2 * pad, 0
        out_h, out_w = (h + 2 * pad - kernel) // stride + 1, (w + 2 * pad - kernel) // stride + 1
        weights = c_out * (c_in // groups) * kernel * kernel
        self.params += weights + (c_out if bias else 0) + (2 * c_out if norm else 0)
        self.macs += weights * out_h * out_w
        depthwise = groups > 1 and groups == c_in == c_out
        op, shape = (
            ("DEPTHWISE_CONV_2D", (1, kernel, kernel, c_out))
            if depthwise
            else ("CONV_2D", (c_out, kernel, kernel, c_in // groups))
        )
        return self._add(Layer(op, (x,), self.tensor((out_h, out_w, c_out)), shape, c_out))

    def add(self, a: int, b: int) -> int:
        return self._add(Layer("ADD", (a, b), self.tensor(self.shapes[a])))

    def resize(self, x: int, size: int) -> int:
        """Bilinear resize to ``size x size``."""
        shape = (size, size, self.shapes[x][2])
        return self._add(Layer("RESIZE_BILINEAR", (x,), self.tensor(shape), operand=2))

    def mean(self, x: int) -> int:
        """Global average pool (``AdaptiveAvgPool2d(1)`` then flatten); over one pixel the
        converter writes it as ``SUM``."""
        h, w, c = self.shapes[x]
        return self._add(Layer("SUM" if h * w == 1 else "MEAN", (x,), self.tensor((c,)), operand=2))

    def linear(self, x: int, n_out: int) -> int:
        (n_in,) = self.shapes[x]
        self.params += n_in * n_out + n_out
        self.macs += n_in * n_out
        return self._add(
            Layer("FULLY_CONNECTED", (x,), self.tensor((n_out,)), (n_out, n_in), n_out)
        )
