"""What an int8 network needs on a microcontroller, from its layer graph
(:class:`~zeronas.models.graph.LayerGraph`) alone: the TFLite Micro arena and the flash of
the ``.tflite`` that ``zeronas export --int8`` writes.

- **Arena** = head + tail. The head holds the activation tensors, packed as TFLite Micro's
  ``GreedyMemoryPlanner`` packs them: each tensor lives from the op that writes it (the
  input: from op 0) to the last op that reads it (the output: to the end), sizes rounded up
  to 16 bytes; tensors are placed largest first (equal sizes: the later tensor first, as
  the planner fills its list from the back), each at the lowest offset that no tensor
  alive at the same time overlaps. The tail holds what the interpreter keeps for the whole
  run: 24 bytes per tensor (``TfLiteEvalTensor``), 64 per op (``NodeAndRegistration``),
  each kernel's op data (convolutions: a struct and two int32 per output channel) and the
  parsed op options; :data:`TAIL` gives the per-op bytes, fitted on TFLite Micro's
  recording allocator.
- **Flash** = the model file: int8 weights, int32 biases, every buffer 16-byte aligned,
  12 bytes per quantised channel (a float32 scale and an int64 zero point) for weights and
  biases alike, and per tensor, per op and per file a fixed overhead (:data:`FLASH`,
  fitted on the files). The runtime's code is not in it: a preset's reserve covers it.

``benchmarks/mcu_estimator.py`` checks both against the real runtime on networks of the
``mcu`` space.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeronas.models.graph import LayerGraph

__all__ = ["FLASH", "TAIL", "Int8Footprint", "arena_head", "int8_footprint", "tensor_lifetimes"]

ALIGNMENT = 16

#: tail bytes per op kind beyond the 64 of its NodeAndRegistration: op data (conv kinds
#: add 8 per output channel) and parsed options; "fixed": the interpreter's own
TAIL = {
    "fixed": 993,
    "CONV_2D": 108,
    "DEPTHWISE_CONV_2D": 108,
    "ADD": 72,
    "PAD": 64,
    "RESIZE_BILINEAR": 4,
    "MEAN": 0,  # every graph has one MEAN (or SUM) and one FULLY_CONNECTED: in "fixed"
    "SUM": 0,
    "FULLY_CONNECTED": 0,
}
#: flash bytes beyond the buffers and channel scales: per tensor, per op, per file
FLASH = {"tensor": 101, "op": 59, "fixed": 595}


def _align(size: int) -> int:
    return -(-size // ALIGNMENT) * ALIGNMENT


def tensor_lifetimes(graph: LayerGraph) -> list[tuple[int, int, int]]:
    """(bytes rounded up to 16, first op, last op) of every activation tensor, then of the
    kernels' scratch buffers (the reference ``MEAN``'s int32 sums, index and axes)."""
    first, last = {0: 0}, {}
    for i, layer in enumerate(graph.layers):
        first.setdefault(layer.output, i)
        for t in layer.inputs:
            last[t] = i
    last[len(graph.shapes) - 1] = len(graph.layers) - 1
    out = []
    for t, shape in enumerate(graph.shapes):
        size = 1
        for n in shape:
            size *= n
        out.append((_align(size), first[t], last.get(t, first[t])))
    for i, layer in enumerate(graph.layers):  # kernels' scratch buffers, after the tensors
        if layer.op in ("MEAN", "SUM"):  # int32 sums, one per output value; index and axes (int32)
            out += [(_align(4 * graph.shapes[layer.output][0]), i, i), (16, i, i), (16, i, i)]
    return out


def arena_head(buffers: list[tuple[int, int, int]]) -> int:
    """The greedy planner's arena for ``buffers`` (size, first, last) (module docstring)."""
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i][0], -i))
    placed: list[tuple[int, int, int, int]] = []  # offset, size, first, last
    high = 0
    for i in order:
        size, first, last = buffers[i]
        offset = 0
        for p_offset, p_size, _, _ in sorted(p for p in placed if p[2] <= last and p[3] >= first):
            if p_offset >= offset + size:
                break
            offset = max(offset, p_offset + p_size)
        placed.append((offset, size, first, last))
        high = max(high, offset + size)
    return high


@dataclass(frozen=True)
class Int8Footprint:
    """Bytes: the arena's head (activations) and tail (persistent), and the flash."""

    head: int
    tail: int
    flash: int

    @property
    def arena(self) -> int:
        return self.head + self.tail


def _tensor_count(graph: LayerGraph) -> int:
    constants = set()
    count = len(graph.shapes)
    for layer in graph.layers:
        count += (1 if layer.weight else 0) + (1 if layer.bias else 0)
        if layer.operand:  # equal pad widths, axes, sizes: one tensor
            constants.add(
                (layer.op, graph.shapes[layer.output][0] - graph.shapes[layer.inputs[0]][0])
            )
    return count + len(constants)


def int8_footprint(graph: LayerGraph) -> Int8Footprint:
    """Arena head and tail and flash of ``graph`` (module docstring)."""
    tensors = _tensor_count(graph)
    tail = TAIL["fixed"] + 24 * tensors + 64 * len(graph.layers)
    flash = FLASH["fixed"] + FLASH["tensor"] * tensors + FLASH["op"] * len(graph.layers)
    for layer in graph.layers:
        tail += TAIL[layer.op]
        if layer.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            tail += _align(4 * layer.bias) * 2
        weights = 1
        for n in layer.weight:
            weights *= n
        if layer.weight:
            flash += _align(weights) + _align(4 * layer.bias) + 24 * layer.bias
    return Int8Footprint(arena_head(tensor_lifetimes(graph)), tail, flash)
