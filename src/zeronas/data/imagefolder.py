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

from zeronas.data.places import extracted_folder
from zeronas.errors import DataError

__all__ = ["SPLITS", "ImageFolderSplit", "carved_rows", "open_split"]

SPLITS = ("train", "val", "test")


def _load_rgb(path: str) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"cannot read image {path!r}: {exc}") from exc


#: seed and share of each class that a validation split carved from ``train`` takes
VAL_SEED, VAL_FRACTION = 0, 0.1


class ImageFolderSplit:
    """One split of an image folder: ``len``, ``classes``, ``labels``, and
    ``images(indices)`` as a uint8 N x 3 x H x W array resized to ``size`` (H, W).

    ``rows``: the folder's samples this split holds (None: all of them), for a split carved
    out of ``folder_split``'s folder (``train`` for a carved ``val``)."""

    def __init__(
        self,
        root: str | Path,
        split: str,
        size: tuple[int, int],
        rows: np.ndarray | None = None,
        folder_split: str | None = None,
    ) -> None:
        folder = Path(root) / (folder_split or split)
        if not Path(root).is_dir():
            raise DataError(f"image folder not found: {str(root)!r}")
        if not folder.is_dir():
            raise DataError(
                f"image folder {str(root)!r} has no {split!r} split: expected "
                f"{'/, '.join(SPLITS)}/ sub-folders (val may be left out: it is then carved "
                "from train) with one folder of images per class"
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
        count = len(self.folder)
        self.rows = np.arange(count) if rows is None else np.asarray(rows, dtype=np.int64)
        self.resize = v2.Compose(
            [v2.PILToTensor(), v2.Resize(size, antialias=True), v2.ToDtype(torch.uint8)]
        )
        self._decoded: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(self.folder.targets, dtype=np.int64)[self.rows]

    def image(self, index: int) -> torch.Tensor:
        """Image ``index`` as a uint8 3 x H x W tensor."""
        if self._decoded is not None:
            return torch.from_numpy(self._decoded[index])
        path, _ = self.folder.samples[int(self.rows[index])]
        return self.resize(self.folder.loader(path))

    def images(self, indices: np.ndarray | list[int]) -> np.ndarray:
        return torch.stack([self.image(int(i)) for i in indices]).numpy()

    def decode_all(self) -> ImageFolderSplit:
        """Decode every image of the split once and serve them from memory from now on."""
        if self._decoded is None:
            self._decoded = self.images(range(len(self)))
        return self


def carved_rows(labels: np.ndarray, seed: int = VAL_SEED, fraction: float = VAL_FRACTION):
    """(train rows, val rows) of a folder's ``labels``: per class, a seeded ``fraction``
    (at least one image) goes to validation."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cut = max(1, round(fraction * len(members))) if len(members) > 1 else 0
        val.append(members[:cut])
        train.append(members[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMG_EXTENSIONS


def open_split(
    root: str | Path, split: str, size: tuple[int, int], carve: bool = True
) -> ImageFolderSplit:
    """A split whose classes match those of ``train`` (a DataError names the difference).
    Without a ``val`` folder (and with ``carve``), ``val`` and ``train`` are carved from
    ``train`` (a seeded tenth of each class is validation), so an image is in one only."""
    root = extracted_folder(root)  # an archive of such a folder is read once extracted
    if carve and split in ("train", "val") and not (Path(root) / "val").is_dir():
        whole = ImageFolderSplit(root, "train", size)
        train_rows, val_rows = carved_rows(np.asarray(whole.folder.targets, dtype=np.int64))
        rows = train_rows if split == "train" else val_rows
        return ImageFolderSplit(root, split, size, rows=rows, folder_split="train")
    opened = ImageFolderSplit(root, split, size)
    if split != "train":
        train = sorted(p.name for p in (Path(root) / "train").iterdir() if p.is_dir())
        if train and opened.classes != train:
            raise DataError(
                f"split {split!r} of {str(root)!r} has classes {opened.classes}, "
                f"but train has {train}"
            )
    return opened
