"""Files for tests and probes: damaged archives zeronas must refuse, and an offline
stand-in for Visual Wake Words (scikit-image's ``lfw_subset`` laid out as an image folder:
100 face and 100 non-face 25 x 25 crops from LFW as ``person`` / ``not_person``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zeronas.data.imagefolder import SPLITS
from zeronas.errors import DataError

__all__ = ["trained_like", "write_archive_subset", "write_damaged_npz", "write_lfw_subset"]


def trained_like(net: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """``net`` in eval mode with seeded random BN statistics and affine terms, as training
    leaves them (an untrained network's identity BN hides quantization errors)."""
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(c, generator=g) * 0.4 - 0.2)
    return net.eval()


def write_damaged_npz(folder: Path) -> dict[str, Path]:
    """Image files a user may pass as ``npz:PATH`` that zeronas must refuse, by name: an
    archive cut in half, one with a flipped byte, a plain ``.npy``, labels of the wrong
    length, labels that are strings (and ``ok.npz``, a valid 4-image archive)."""
    x = np.zeros((4, 3, 32, 32), np.uint8)
    np.savez(folder / "ok.npz", x=x, y=np.arange(4))
    data = (folder / "ok.npz").read_bytes()
    (folder / "cut.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    (folder / "flip.npz").write_bytes(bytes(flipped))
    np.save(folder / "plain.npy", x)
    np.savez(folder / "short.npz", x=x, y=np.arange(3))
    np.savez(folder / "text.npz", x=x, y=np.array(list("abcd")))
    names = ("ok.npz", "cut.npz", "flip.npz", "plain.npy", "short.npz", "text.npz")
    return {name: folder / name for name in names}


def write_lfw_subset(root: str | Path, seed: int = 0, fractions=(0.6, 0.2, 0.2)) -> Path:
    """scikit-image's ``lfw_subset`` as an image folder: ``person`` (the 100 faces) and
    ``not_person`` (the 100 non-face crops), split per class by ``fractions``, seeded."""
    try:
        from skimage.data import lfw_subset
    except ImportError as exc:  # pragma: no cover -- a dev dependency
        raise DataError("write_lfw_subset needs scikit-image: pip install scikit-image") from exc
    faces = (lfw_subset() * 255).round().astype(np.uint8)  # 200 x 25 x 25, faces first
    rng = np.random.default_rng(seed)
    root = Path(root)
    for label, block in (("person", faces[:100]), ("not_person", faces[100:])):
        order = rng.permutation(len(block))
        cuts = np.cumsum([round(f * len(block)) for f in fractions])[:-1]
        for split, part in zip(SPLITS, np.split(order, cuts), strict=True):
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for i in part:
                Image.fromarray(block[i]).save(folder / f"{label}_{i:03d}.png")
    return root


def write_archive_subset(
    archive: str | Path, root: str | Path, per_class: int, seed: int = 0
) -> Path:
    """A seeded subset of an image-folder archive (``NAME/{train,test}/<class>/*.jpg``, as
    ``cifar10-jpeg.tar.gz``) written as an image folder at ``root``: ``per_class`` images of
    every class in each split the archive holds, byte for byte."""
    import tarfile

    groups: dict[tuple[str, str], list[str]] = {}
    with tarfile.open(archive) as tar:  # first pass: names only
        for member in tar:
            parts = Path(member.name).parts
            if member.isfile() and len(parts) >= 4 and parts[-3] in SPLITS:
                groups.setdefault((parts[-3], parts[-2]), []).append(member.name)
    rng = np.random.default_rng(seed)
    chosen = set()
    for _, names in sorted(groups.items()):
        chosen.update(rng.choice(names, size=min(per_class, len(names)), replace=False))
    root = Path(root)
    with tarfile.open(archive) as tar:  # second pass, in order: a gzip stream reads forward
        for member in tar:
            if member.name in chosen:
                parts = Path(member.name).parts
                folder = root / parts[-3] / parts[-2]
                folder.mkdir(parents=True, exist_ok=True)
                (folder / parts[-1]).write_bytes(tar.extractfile(member).read())
    return root
