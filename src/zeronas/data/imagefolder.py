"""Image folders (``--data imagefolder:PATH``): Visual Wake Words and custom data (DESIGN §7).

Layout: ``PATH/train``, ``PATH/val`` and ``PATH/test``, each with one sub-folder per class
holding its images (any format PIL reads, any size; greyscale is made RGB). Class names are
the sorted sub-folder names of ``train`` (torchvision's ``ImageFolder`` convention) and must
be the same in every split. Images are resized (bilinear, antialiased) to the dataset's
input size.

Offline stand-in for VWW: :func:`write_lfw_subset` lays out scikit-image's ``lfw_subset``
(100 face and 100 non-face 25 x 25 crops from LFW) as ``person`` / ``not_person``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms import v2

from zeronas.errors import DataError

__all__ = ["SPLITS", "ImageFolderSplit", "open_split", "write_lfw_subset"]

SPLITS = ("train", "val", "test")


def _load_rgb(path: str) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"cannot read image {path!r}: {exc}") from exc


class ImageFolderSplit:
    """One split of an image folder: ``len``, ``classes``, and ``images(indices)`` as a uint8
    N x 3 x H x W array resized to ``size`` (H, W)."""

    def __init__(self, root: str | Path, split: str, size: tuple[int, int]) -> None:
        folder = Path(root) / split
        if not Path(root).is_dir():
            raise DataError(f"image folder not found: {str(root)!r}")
        if not folder.is_dir():
            raise DataError(
                f"image folder {str(root)!r} has no {split!r} split: expected "
                f"{'/, '.join(SPLITS)}/ sub-folders with one folder of images per class"
            )
        classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
        if not classes:
            raise DataError(f"{str(folder)!r} is empty: it needs one sub-folder per class")
        for name in classes:
            if not any(_is_image(f) for f in (folder / name).rglob("*")):
                raise DataError(
                    f"class folder {str(folder / name)!r} has no images "
                    f"({', '.join(IMG_EXTENSIONS)})"
                )
        self.folder = ImageFolder(str(folder), loader=_load_rgb)
        self.classes = self.folder.classes
        self.split, self.root = split, Path(root)
        self.resize = v2.Compose(
            [v2.PILToTensor(), v2.Resize(size, antialias=True), v2.ToDtype(torch.uint8)]
        )

    def __len__(self) -> int:
        return len(self.folder)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(self.folder.targets, dtype=np.int64)

    def image(self, index: int) -> torch.Tensor:
        """Image ``index`` as a uint8 3 x H x W tensor."""
        path, _ = self.folder.samples[index]
        return self.resize(self.folder.loader(path))

    def images(self, indices: np.ndarray | list[int]) -> np.ndarray:
        return torch.stack([self.image(int(i)) for i in indices]).numpy()


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMG_EXTENSIONS


def open_split(root: str | Path, split: str, size: tuple[int, int]) -> ImageFolderSplit:
    """A split whose classes match those of ``train`` (a DataError names the difference)."""
    opened = ImageFolderSplit(root, split, size)
    if split != "train":
        train = sorted(p.name for p in (Path(root) / "train").iterdir() if p.is_dir())
        if train and opened.classes != train:
            raise DataError(
                f"split {split!r} of {str(root)!r} has classes {opened.classes}, "
                f"but train has {train}"
            )
    return opened


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
