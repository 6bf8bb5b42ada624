"""Image folders (``--data imagefolder:PATH``): Visual Wake Words and custom data.

Layout: ``PATH/train``, ``PATH/val`` and ``PATH/test``, each with one sub-folder per class
holding its images (any format PIL reads, any size; greyscale is made RGB). Class names are
the sorted sub-folder names of ``train`` (torchvision's ``ImageFolder`` convention) and must
be the same in every split. Images are resized (bilinear, antialiased) to the dataset's
input size.
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

__all__ = ["SPLITS", "ImageFolderSplit", "open_split"]

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
