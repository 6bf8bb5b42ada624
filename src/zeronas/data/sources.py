"""Where the run's batch comes from: data sources, one registry of plug-ins.

``--data`` names a source, ``NAME`` or ``NAME:PATH``:

=====================  ===========================================================
``auto``               the images shipped for the task (``embedded``), else ``synthetic``
``embedded``           128 real training images shipped for CIFAR-10 and CIFAR-100
``synthetic``          Gaussian N(0, 1) images of the task's shape, random labels (no files)
``cifar``              CIFAR-10/100 python files under ``data_root`` via torchvision
``imagenet16:PATH``    downsampled-ImageNet pickles (``train_data_batch_*``/``val_data``)
``npz:PATH``           arrays ``x`` (uint8, N x C x H x W) and optional ``y``
``imagefolder:PATH``   ``PATH/train/<class>/*`` images, resized (:mod:`zeronas.data.imagefolder`)
=====================  ===========================================================

Another package adds one with :func:`data_source` in a module named by an entry point of
the group ``zeronas.data_sources``.
"""

from __future__ import annotations

import io
import pickle
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from zeronas.data.batch import BATCH_SIZES, Batch, make_batch, valid_batch_size
from zeronas.data.embedded import EMBEDDED_IMAGES, embedded_images
from zeronas.data.tasks import DatasetSpec
from zeronas.errors import DataError, ParameterError, UnknownNameError
from zeronas.registry import Registry

__all__ = ["DATA_SOURCES", "BatchRequest", "DataSource", "data_source", "load_batch", "usages"]


@dataclass(frozen=True)
class BatchRequest:
    """What a source is asked for: ``batch_size`` images of ``dataset``, picked with a
    generator seeded ``seed``; ``data_root`` and ``download`` say where ``cifar`` files are."""

    dataset: DatasetSpec
    batch_size: int
    seed: int
    data_root: str | Path | None = None
    download: bool = False

    @property
    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)


@dataclass(frozen=True)
class DataSource:
    """A registered source: ``load(path, request) -> Batch``; ``path`` is the text after
    ``NAME:`` (None when the source takes no path, which ``takes_path`` says)."""

    name: str
    load: Callable[[str | None, BatchRequest], Batch]
    takes_path: bool
    description: str

    @property
    def usage(self) -> str:
        return f"{self.name}:PATH" if self.takes_path else self.name


DATA_SOURCES: Registry[DataSource] = Registry("data source", None, "zeronas.data_sources")


def data_source(
    name: str, takes_path: bool = False
) -> Callable[[Callable[[str | None, BatchRequest], Batch]], Callable[..., Batch]]:
    """Register ``load(path, request) -> Batch`` as the data source ``name``."""

    def register(load: Callable[[str | None, BatchRequest], Batch]) -> Callable[..., Batch]:
        doc = (load.__doc__ or "").strip().splitlines()
        DATA_SOURCES.add(name, DataSource(name, load, takes_path, doc[0] if doc else ""))
        return load

    return register


def usages() -> list[str]:
    """How each source is written on the command line (``npz:PATH``)."""
    return [DATA_SOURCES.get(name).usage for name in DATA_SOURCES]


def load_batch(
    source: str,
    dataset: DatasetSpec,
    batch_size: int,
    seed: int = 0,
    data_root: str | Path | None = None,
    download: bool = False,
) -> Batch:
    """The run's mini-batch of ``batch_size`` images for ``dataset`` from ``source``
    (``NAME`` or ``NAME:PATH``, module docstring)."""
    if not valid_batch_size(batch_size):
        raise ParameterError("batch_size", "load_batch", BATCH_SIZES, batch_size)
    name, sep, path = source.partition(":")
    try:
        chosen = DATA_SOURCES.get(name)
    except UnknownNameError:
        chosen = None
    if chosen is None or chosen.takes_path != bool(sep and path):
        raise DataError(f"Unknown data source {source!r}. Allowed: {', '.join(usages())}")
    request = BatchRequest(dataset, batch_size, seed, data_root, download)
    return chosen.load(path if sep else None, request)


@data_source("auto")
def _auto(_path: str | None, request: BatchRequest) -> Batch:
    """The images shipped for the task, else synthetic ones."""
    name = "embedded" if request.dataset.name in EMBEDDED_IMAGES else "synthetic"
    return DATA_SOURCES.get(name).load(None, request)


@data_source("synthetic")
def _synthetic(_path: str | None, request: BatchRequest) -> Batch:
    """Gaussian N(0, 1) images of the task's shape and random labels: no files."""
    gen = torch.Generator().manual_seed(request.seed)
    x = torch.randn((request.batch_size, *request.dataset.input_shape), generator=gen)
    y = torch.randint(request.dataset.num_classes, (request.batch_size,), generator=gen)
    return Batch(x, y, "synthetic", True)


def _from_arrays(
    images: np.ndarray, labels: np.ndarray | None, request: BatchRequest, source: str
) -> Batch:
    return make_batch(images, labels, request.dataset, request.batch_size, request.rng, source)


@data_source("embedded")
def _embedded(_path: str | None, request: BatchRequest) -> Batch:
    """128 real training images shipped inside zeronas (CIFAR-10, CIFAR-100)."""
    dataset = request.dataset
    if dataset.name not in EMBEDDED_IMAGES:
        raise DataError(
            f"zeronas ships images for {', '.join(EMBEDDED_IMAGES)} only, not "
            f"{dataset.name!r}: give your own images as the data source (npz:PATH, "
            f"imagenet16:PATH, imagefolder:PATH, cifar)"
        )
    return _from_arrays(*embedded_images(dataset.name), request, "embedded")


@data_source("cifar")
def _cifar(_path: str | None, request: BatchRequest) -> Batch:
    """CIFAR-10/100 python files under data_root, read with torchvision."""
    images, labels = _read_cifar(request.dataset, request.data_root, request.download)
    return _from_arrays(images, labels, request, "cifar")


@data_source("imagenet16", takes_path=True)
def _imagenet16(path: str | None, request: BatchRequest) -> Batch:
    """Downsampled-ImageNet 16x16 pickles (ImageNet16-120: the first 120 classes)."""
    images, labels = _read_imagenet16(Path(str(path)), request.dataset.num_classes)
    return _from_arrays(images, labels, request, f"imagenet16:{path}")


@data_source("npz", takes_path=True)
def _npz(path: str | None, request: BatchRequest) -> Batch:
    """An .npz of uint8 images x (N x C x H x W) and optional integer labels y."""
    return _from_arrays(*_read_npz(Path(str(path))), request, f"npz:{path}")


@data_source("imagefolder", takes_path=True)
def _imagefolder(path: str | None, request: BatchRequest) -> Batch:
    """PATH/train/<class>/* images, resized to the task's input."""
    from zeronas.data.imagefolder import open_split  # torchvision: imported only when used

    source, size = f"imagefolder:{path}", request.batch_size
    split = open_split(str(path), "train", request.dataset.input_shape[1:], carve=False)
    if len(split) < size:
        raise DataError(f"{source!r} holds {len(split)} images, fewer than batch {size}")
    rng = request.rng
    pick = np.sort(rng.choice(len(split), size=size, replace=False))
    return make_batch(split.images(pick), split.labels[pick], request.dataset, size, rng, source)


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
