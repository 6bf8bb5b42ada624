"""One fixed, seeded, normalised mini-batch per run.

``--data`` names where the images come from:

=====================  ===========================================================
``synthetic``          Gaussian N(0, 1) images of the dataset's shape (no files)
``cifar``              CIFAR-10/100 python files under ``data_root`` via torchvision
``imagenet16:PATH``    downsampled-ImageNet pickles (``train_data_batch_*``/``val_data``)
``npz:PATH``           arrays ``x`` (uint8, N x C x H x W) and optional ``y``
``imagefolder:PATH``   ``PATH/train/<class>/*`` images, resized (:mod:`zeronas.imagefolder`)
=====================  ===========================================================
"""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from zeronas.data.tasks import DatasetSpec
from zeronas.data.embedded import EMBEDDED_IMAGES, embedded_images
from zeronas.errors import DataError

__all__ = ["Batch", "load_batch", "DATA_SOURCES"]

DATA_SOURCES = (
    "auto", "embedded", "synthetic", "cifar", "imagenet16:PATH", "npz:PATH", "imagefolder:PATH",
)  # fmt: skip


@dataclass(frozen=True)
class Batch:
    """A normalised mini-batch and where it came from."""

    x: torch.Tensor
    y: torch.Tensor | None
    source: str
    synthetic: bool
    label_note: str | None = None

    @property
    def fingerprint(self) -> str:
        """Short SHA-256 of the input tensor: part of every cache key."""
        data = self.x.detach().cpu().contiguous().numpy().tobytes()
        return hashlib.sha256(data).hexdigest()[:16]

    def describe(self) -> dict[str, object]:
        return {
            "source": self.source,
            "synthetic": self.synthetic,
            "batch_size": int(self.x.shape[0]),
            "shape": list(self.x.shape[1:]),
            "fingerprint": self.fingerprint,
            "labels": self.label_note or ("none" if self.y is None else "given"),
        }


def load_batch(
    source: str,
    dataset: DatasetSpec,
    batch_size: int = 128,
    seed: int = 0,
    data_root: str | Path | None = None,
    download: bool = False,
) -> Batch:
    """The run's mini-batch of ``batch_size`` images for ``dataset`` from ``source``.

    ``auto``: the real images shipped with zeronas for this dataset (``embedded``: CIFAR-10
    and CIFAR-100, 128 images), else ``synthetic``. A synthetic batch's labels are random.
    """
    if batch_size < 1:
        raise DataError(f"batch size must be >= 1, got {batch_size}")
    kind, _, arg = source.partition(":")
    rng = np.random.default_rng(seed)
    if kind == "auto" and not arg:
        kind = "embedded" if dataset.name in EMBEDDED_IMAGES else "synthetic"
        source = kind
    if kind == "synthetic" and not arg:
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn((batch_size, *dataset.input_shape), generator=gen)
        y = torch.randint(dataset.num_classes, (batch_size,), generator=gen)
        return Batch(x, y, "synthetic", True)
    if kind == "embedded" and not arg:
        if dataset.name not in EMBEDDED_IMAGES:
            raise DataError(
                f"zeronas ships images for {', '.join(EMBEDDED_IMAGES)} only, not "
                f"{dataset.name!r}: give your own images as the data source (npz:PATH, "
                f"imagenet16:PATH, imagefolder:PATH, cifar)"
            )
        images, labels = embedded_images(dataset.name)
    elif kind == "cifar" and not arg:
        images, labels = _read_cifar(dataset, data_root, download)
    elif kind == "imagenet16" and arg:
        images, labels = _read_imagenet16(Path(arg), dataset.num_classes)
    elif kind == "npz" and arg:
        images, labels = _read_npz(Path(arg))
    elif kind == "imagefolder" and arg:
        from zeronas.data.imagefolder import open_split  # torchvision: imported only when used

        split = open_split(arg, "train", dataset.input_shape[1:])
        if len(split) < batch_size:
            raise DataError(f"{source!r} holds {len(split)} images, fewer than batch {batch_size}")
        pick = np.sort(rng.choice(len(split), size=batch_size, replace=False))
        images, labels = split.images(pick), split.labels[pick]
    else:
        raise DataError(f"Unknown data source {source!r}. Allowed: {', '.join(DATA_SOURCES)}")
    return _make_batch(images, labels, dataset, batch_size, rng, source)


def _make_batch(
    images: np.ndarray,
    labels: np.ndarray | None,
    dataset: DatasetSpec,
    batch_size: int,
    rng: np.random.Generator,
    source: str,
) -> Batch:
    if images.ndim != 4 or tuple(images.shape[1:]) != dataset.input_shape:
        raise DataError(
            f"Images from {source!r} have shape {tuple(images.shape[1:])} per image, but dataset "
            f"{dataset.name!r} expects {dataset.input_shape} (C, H, W)"
        )
    if len(images) < batch_size:
        raise DataError(f"{source!r} holds {len(images)} images, fewer than batch {batch_size}")
    pick = rng.choice(len(images), size=batch_size, replace=False)
    x = torch.from_numpy(images[pick].astype(np.float32) / 255.0)
    mean = torch.tensor(dataset.mean).view(1, -1, 1, 1)
    std = torch.tensor(dataset.std).view(1, -1, 1, 1)
    y = None if labels is None else torch.as_tensor(np.asarray(labels)[pick], dtype=torch.long)
    note = None
    if y is not None and (int(y.min()) < 0 or int(y.max()) >= dataset.num_classes):
        note = (
            f"labels {int(y.min())}..{int(y.max())} of {source!r} are outside {dataset.name}'s "
            f"classes 0..{dataset.num_classes - 1}: the batch is used without labels"
        )
        y = None
    return Batch((x - mean) / std, y, source, False, note)


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise DataError(f"npz file not found: {str(path)!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded as archive:
                arrays = {name: archive[name] for name in archive.files if name in ("x", "y")}
                names = list(archive.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as exc:
        raise DataError(f"cannot read npz file {str(path)!r} (damaged?): {exc}") from exc
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise DataError(f"{str(path)!r} is a single array (.npy), not an .npz of 'x' and 'y'")
    if "x" not in arrays:
        raise DataError(f"{str(path)!r} has no array 'x' (found: {names})")
    x, y = arrays["x"], arrays.get("y")
    if x.dtype != np.uint8 or x.ndim != 4:
        raise DataError(
            f"'x' in {str(path)!r} must be uint8 N x C x H x W, got {x.dtype} {list(x.shape)}"
        )
    if y is not None and (y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer)):
        raise DataError(
            f"'y' in {str(path)!r} must be {len(x)} integer labels (one per image), got "
            f"{y.dtype} {list(y.shape)}"
        )
    return x, y


def _read_cifar(
    dataset: DatasetSpec, root: str | Path | None, download: bool
) -> tuple[np.ndarray, np.ndarray]:
    from torchvision import datasets as tv

    classes = {"cifar10": tv.CIFAR10, "cifar100": tv.CIFAR100}
    if dataset.name not in classes:
        raise DataError(f"data source 'cifar' serves cifar10 and cifar100, not {dataset.name!r}")
    root = Path(root) if root is not None else Path("data")
    try:
        data = classes[dataset.name](str(root), train=True, download=download)
    except RuntimeError as exc:
        raise DataError(
            f"{dataset.name} not found under {str(root)!r} ({exc}). Put the python version "
            f"(e.g. cifar-10-batches-py/) there, or allow downloading (download=True, "
            f"--download) when online."
        ) from exc
    return np.ascontiguousarray(data.data.transpose(0, 3, 1, 2)), np.asarray(data.targets)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only: data files are untrusted input."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _read_imagenet16(path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Downsampled ImageNet 16x16 (Chrabaszcz et al. 2017): labels 1-based, first
    ``num_classes`` classes kept as in ImageNet16-120."""
    if path.is_dir():
        files = sorted(path.glob("train_data_batch_*")) or sorted(path.glob("val_data*"))
        if not files:
            raise DataError(
                f"no 'train_data_batch_*' or 'val_data' files in {str(path)!r} (the "
                f"downsampled-ImageNet 16x16 pickles)"
            )
        files = files[:1]
    elif path.is_file():
        files = [path]
    else:
        raise DataError(f"ImageNet16 path not found: {str(path)!r}")
    images, labels = [], []
    for file in files:
        try:
            entry = _ArrayUnpickler(io.BytesIO(file.read_bytes()), encoding="latin1").load()
            data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 16, 16)
            label = np.asarray(entry["labels"], dtype=np.int64)
        except (pickle.UnpicklingError, KeyError, ValueError, TypeError, EOFError) as exc:
            raise DataError(f"cannot read ImageNet16 file {str(file)!r}: {exc}") from exc
        keep = label <= num_classes
        images.append(data[keep])
        labels.append(label[keep] - 1)
    return np.concatenate(images), np.concatenate(labels)
