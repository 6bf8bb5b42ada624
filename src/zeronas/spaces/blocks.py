"""Singh's TinyML block space: a variable-length sequence of
Inverted Residual, Depthwise Separable and ConvNeXt blocks between a stride-2 stem and a
1x1-conv head (:mod:`zeronas.models.blocks`).

Seed facts: the block types and the per-block fields kernel ∈ {3, 5, 7}, stride ∈ {1, 2},
expansion ∈ {2, 4, 6} (0 for Depthwise Separable) and output channels from {16, 32, 64, 96,
160, 320}. Our choices: channels 24 and 48 too, 4-20 blocks, at most 4 stride-2
blocks (with the stem, a /32 network like MobileNet), the stem and the head.

Arch strings: blocks joined by ``-``, each ``TYPE_kK_sS_eE_cC`` (``ds`` has no ``e``), e.g.
``ir_k3_s2_e6_c32-ds_k5_s1_c64-cn_k7_s1_e2_c96``. JSON (``{"blocks": [{"type": "ir",
"kernel": 3, "stride": 2, "expansion": 6, "channels": 32}, ...]}``) is accepted too.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import numpy as np
from torch import nn

from zeronas.errors import ArchError
from zeronas.models.blocks import BLOCK_TYPES, BlockNetwork, BlockSpec
from zeronas.spaces.base import SearchSpace, register_space

__all__ = ["KERNELS", "STRIDES", "EXPANSIONS", "CHANNELS", "BlockArch", "BlockSpace"]

KERNELS = (3, 5, 7)
STRIDES = (1, 2)
EXPANSIONS = (2, 4, 6)
CHANNELS = (16, 24, 32, 48, 64, 96, 160, 320)
MIN_BLOCKS, MAX_BLOCKS, MAX_STRIDED = 4, 20, 4
_FIELDS = ("type", "kernel", "stride", "expansion", "channels")
_BLOCK_RE = re.compile(r"^(?P<type>[a-z]+)_k(?P<k>\d+)_s(?P<s>\d+)(?:_e(?P<e>\d+))?_c(?P<c>\d+)$")


def check_block(spec: BlockSpec) -> BlockSpec:
    """``spec`` if every field is allowed, else an ArchError naming the bad one."""
    if spec.type not in BLOCK_TYPES:
        raise ArchError(f"Unknown block type {spec.type!r}. Allowed: {', '.join(BLOCK_TYPES)}")
    allowed = {"kernel": KERNELS, "stride": STRIDES, "channels": CHANNELS}
    allowed["expansion"] = (0,) if spec.type == "ds" else EXPANSIONS
    for field, values in allowed.items():
        if getattr(spec, field) not in values:
            raise ArchError(
                f"Block {spec} has {field} {getattr(spec, field)!r}; allowed for "
                f"{spec.type!r}: {', '.join(map(str, values))}"
            )
    return spec


@dataclass(frozen=True)
class BlockArch:
    """The blocks, first to last."""

    blocks: tuple[BlockSpec, ...]

    def __post_init__(self) -> None:
        if not MIN_BLOCKS <= len(self.blocks) <= MAX_BLOCKS:
            raise ArchError(
                f"A block arch has {MIN_BLOCKS}-{MAX_BLOCKS} blocks, got {len(self.blocks)}"
            )
        for spec in self.blocks:
            check_block(spec)
        strided = sum(b.stride == 2 for b in self.blocks)
        if strided > MAX_STRIDED:
            raise ArchError(f"At most {MAX_STRIDED} stride-2 blocks, got {strided}")

    def __str__(self) -> str:
        return "-".join(_block_text(b) for b in self.blocks)

    def to_json(self) -> str:
        return json.dumps({"blocks": [asdict(b) for b in self.blocks]})


def _block_text(b: BlockSpec) -> str:
    expansion = "" if b.type == "ds" else f"_e{b.expansion}"
    return f"{b.type}_k{b.kernel}_s{b.stride}{expansion}_c{b.channels}"


def parse_blocks(text: str) -> BlockArch:
    """An arch string or its JSON form, naming the first bad part."""
    if not isinstance(text, str) or not text.strip():
        raise ArchError(f"Empty block arch string: {text!r}")
    text = text.strip()
    if text.startswith("{"):
        return _parse_json(text)
    blocks = []
    for part in text.split("-"):
        match = _BLOCK_RE.match(part)
        if match is None:
            raise ArchError(
                f"Malformed block {part!r} in {text!r}: expected TYPE_kK_sS_eE_cC "
                "(e.g. ir_k3_s2_e6_c32; ds blocks have no _eE)"
            )
        kind = match["type"]
        if kind not in BLOCK_TYPES:
            raise ArchError(
                f"Unknown block type {kind!r} in {part!r}. Allowed: {', '.join(BLOCK_TYPES)}"
            )
        if (match["e"] is None) != (kind == "ds"):
            raise ArchError(f"Block {part!r}: ds blocks have no expansion, ir and cn need one")
        expansion = 0 if match["e"] is None else int(match["e"])
        blocks.append(BlockSpec(kind, int(match["k"]), int(match["s"]), expansion, int(match["c"])))
    return BlockArch(tuple(blocks))


def _parse_json(text: str) -> BlockArch:
    try:
        doc = json.loads(text)
        rows = doc["blocks"]
        specs = []
        for row in rows:
            unknown = set(row) - set(_FIELDS)
            if unknown:
                raise ArchError(f"Unknown block field(s) {sorted(unknown)} in {row}")
            expansion = row.get("expansion", 0 if row.get("type") == "ds" else None)
            specs.append(
                BlockSpec(row["type"], row["kernel"], row["stride"], expansion, row["channels"])
            )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ArchError(f"Malformed block arch JSON {text[:80]!r}: {exc!r}") from exc
    return BlockArch(tuple(specs))


def _out_size(size: int, stride: int) -> int:
    return (size - 1) // stride + 1  # padding k // 2, odd k


class _Tally:
    """Parameters and multiply-accumulates (conv and linear weights, as thop / NATS count)."""

    def __init__(self) -> None:
        self.params = self.macs = 0

    def conv(self, c_in: int, c_out: int, k: int, pixels: int, groups: int = 1, bias: bool = False):
        weights = c_out * (c_in // groups) * k * k
        self.params += weights + (c_out if bias else 0)
        self.macs += weights * pixels

    def norm(self, channels: int) -> None:
        self.params += 2 * channels  # BN / LN: γ, β


def block_costs(
    arch: BlockArch,
    num_classes: int,
    input_shape: tuple[int, int, int],
    stem_channels: int = 16,
    head_channels: int = 1280,
) -> tuple[int, int]:
    """(parameters, MACs) of :class:`BlockNetwork` from the specs alone, no module built."""
    tally = _Tally()
    h, w = _out_size(input_shape[1], 2), _out_size(input_shape[2], 2)
    tally.conv(input_shape[0], stem_channels, 3, h * w)
    tally.norm(stem_channels)
    width = stem_channels
    for b in arch.blocks:
        h_out, w_out = _out_size(h, b.stride), _out_size(w, b.stride)
        pixels = h_out * w_out
        if b.type == "ir":
            hidden = width * b.expansion
            tally.conv(width, hidden, 1, h * w)
            tally.conv(hidden, hidden, b.kernel, pixels, groups=hidden)
            tally.conv(hidden, b.channels, 1, pixels)
            for c in (hidden, hidden, b.channels):
                tally.norm(c)
        elif b.type == "ds":
            tally.conv(width, width, b.kernel, pixels, groups=width)
            tally.conv(width, b.channels, 1, pixels)
            tally.norm(width)
            tally.norm(b.channels)
        else:
            hidden = b.channels * b.expansion
            tally.conv(width, width, b.kernel, pixels, groups=width, bias=True)
            tally.norm(width)
            tally.conv(width, hidden, 1, pixels, bias=True)
            tally.conv(hidden, b.channels, 1, pixels, bias=True)
            if b.stride != 1 or width != b.channels:
                tally.conv(width, b.channels, 1, pixels)
                tally.norm(b.channels)
        width, h, w = b.channels, h_out, w_out
    tally.conv(width, head_channels, 1, h * w)
    tally.norm(head_channels)
    tally.params += head_channels * num_classes + num_classes
    tally.macs += head_channels * num_classes
    return tally.params, tally.macs


@register_space
class BlockSpace(SearchSpace):
    """Singh: 4-20 mobile blocks (IR / DS / ConvNeXt) between a s2 stem and a 1x1 head."""

    name = "blocks"
    description = "Singh TinyML: 4-20 IR / DS / ConvNeXt blocks, k 3/5/7, s 1/2, e 2/4/6"
    size = None
    default_limits = {"max_params": 2.5, "max_macs": 200.0}  # Singh
    activations = (nn.ReLU6, nn.GELU)

    def __init__(self, stem_channels: int = 16, head_channels: int = 1280) -> None:
        self.stem_channels, self.head_channels = stem_channels, head_channels

    def random_block(self, rng: np.random.Generator, stride: int | None = None) -> BlockSpec:
        kind = str(rng.choice(list(BLOCK_TYPES)))
        expansion = 0 if kind == "ds" else int(rng.choice(EXPANSIONS))
        return BlockSpec(
            kind,
            int(rng.choice(KERNELS)),
            int(rng.choice(STRIDES)) if stride is None else stride,
            expansion,
            int(rng.choice(CHANNELS)),
        )

    def sample(self, rng: np.random.Generator) -> BlockArch:
        """Block count uniform in 4-20; the stride-2 blocks are a uniform subset of at most
        4 positions; every other field uniform."""
        count = int(rng.integers(MIN_BLOCKS, MAX_BLOCKS + 1))
        strided = int(rng.integers(0, min(MAX_STRIDED, count) + 1))
        where = set(rng.choice(count, size=strided, replace=False).tolist())
        return BlockArch(
            tuple(self.random_block(rng, 2 if i in where else 1) for i in range(count))
        )

    def mutate(self, arch: BlockArch, rng: np.random.Generator) -> BlockArch:
        """Change one field of one block, insert a random block or delete one (each move that
        keeps the arch valid is equally likely)."""
        for _ in range(100):
            move = rng.integers(3)
            blocks = list(arch.blocks)
            i = int(rng.integers(len(blocks)))
            if move == 0:
                blocks[i] = self._change_field(blocks[i], rng)
            elif move == 1 and len(blocks) < MAX_BLOCKS:
                blocks.insert(int(rng.integers(len(blocks) + 1)), self.random_block(rng))
            elif move == 2 and len(blocks) > MIN_BLOCKS:
                del blocks[i]
            else:
                continue
            try:
                child = BlockArch(tuple(blocks))
            except ArchError:  # too many stride-2 blocks
                continue
            if child != arch:
                return child
        raise ArchError(f"no valid mutation of {arch} found in 100 tries")

    def _change_field(self, spec: BlockSpec, rng: np.random.Generator) -> BlockSpec:
        field = str(rng.choice(_FIELDS))
        values = dict(kernel=spec.kernel, stride=spec.stride, channels=spec.channels)
        kind, expansion = spec.type, spec.expansion
        if field == "type":
            kind = str(rng.choice([t for t in BLOCK_TYPES if t != spec.type]))
            if kind == "ds":
                expansion = 0
            elif spec.type == "ds":
                expansion = int(rng.choice(EXPANSIONS))
        elif field == "expansion":
            if kind != "ds":
                expansion = int(rng.choice([e for e in EXPANSIONS if e != spec.expansion]))
        else:
            options = {"kernel": KERNELS, "stride": STRIDES, "channels": CHANNELS}[field]
            values[field] = int(rng.choice([v for v in options if v != values[field]]))
        return BlockSpec(kind, values["kernel"], values["stride"], expansion, values["channels"])

    def crossover(self, a: BlockArch, b: BlockArch, rng: np.random.Generator) -> BlockArch:
        """One-point crossover of the two block lists (a's head, b's tail), cut points drawn
        until the child is valid; ``a`` if none is."""
        for _ in range(100):
            cut_a = int(rng.integers(1, len(a.blocks) + 1))
            cut_b = int(rng.integers(0, len(b.blocks)))
            blocks = a.blocks[:cut_a] + b.blocks[cut_b:]
            try:
                return BlockArch(blocks)
            except ArchError:
                continue
        return a

    def encode(self, arch: BlockArch) -> str:
        return str(arch)

    def costs(
        self, arch: BlockArch, num_classes: int, input_shape: tuple[int, int, int]
    ) -> tuple[int, int]:
        """(parameters, MACs), computed from the specs (microseconds, no module built)."""
        return block_costs(arch, num_classes, input_shape, self.stem_channels, self.head_channels)

    def decode(self, text: str) -> BlockArch:
        return parse_blocks(text)

    def build(
        self, arch: BlockArch, num_classes: int, input_shape: tuple[int, int, int] = (3, 128, 128)
    ) -> nn.Module:
        if not isinstance(arch, BlockArch):
            raise ArchError(f"space 'blocks' builds BlockArch values, got {arch!r}")
        net = BlockNetwork(
            arch.blocks, num_classes, input_shape[0], self.stem_channels, self.head_channels
        )
        net.arch = arch
        return net
