"""The batch loaders, each on tiny files written here in the real on-disk format."""

import pickle

import numpy as np
import pytest
import torch

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import DataError

CIFAR10 = get_dataset("cifar10")
IN16 = get_dataset("ImageNet16-120")


def _normalised(images: np.ndarray, spec) -> torch.Tensor:
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return (x - torch.tensor(spec.mean).view(1, -1, 1, 1)) / torch.tensor(spec.std).view(
        1, -1, 1, 1
    )


def test_synthetic_is_seeded_and_shaped():
    a = load_batch("synthetic", IN16, 8, seed=1)
    assert a.x.shape == (8, 3, 16, 16) and a.synthetic
    assert torch.equal(a.x, load_batch("synthetic", IN16, 8, seed=1).x)
    assert not torch.equal(a.x, load_batch("synthetic", IN16, 8, seed=2).x)
    assert a.fingerprint != load_batch("synthetic", IN16, 8, seed=2).fingerprint


def test_npz_batch_is_a_seeded_normalised_subset(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (40, 3, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=images, y=np.arange(40))  # labels as image ids
    cifar100 = get_dataset("cifar100")  # 100 classes: the 40 ids are valid labels
    batch = load_batch(f"npz:{tmp_path / 'd.npz'}", cifar100, 16, seed=5)
    picked = batch.y.numpy()
    assert len(set(picked)) == 16 and not batch.synthetic
    torch.testing.assert_close(batch.x, _normalised(images[picked], cifar100))
    assert torch.equal(batch.x, load_batch(f"npz:{tmp_path / 'd.npz'}", cifar100, 16, seed=5).x)


@pytest.mark.parametrize(
    ("x", "fragment"),
    [
        (np.zeros((4, 3, 16, 16), np.uint8), "expects (3, 32, 32)"),
        (np.zeros((40, 3, 32, 32), np.float32), "must be uint8"),
        (np.zeros((4, 3, 32, 32), np.uint8), "fewer than batch 8"),
    ],
)
def test_npz_errors(tmp_path, x, fragment):
    np.savez(tmp_path / "d.npz", x=x)
    with pytest.raises(DataError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_batch(f"npz:{tmp_path / 'd.npz'}", CIFAR10, 8)


def test_missing_and_unknown_sources(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_batch(f"npz:{tmp_path / 'none.npz'}", CIFAR10, 8)
    with pytest.raises(DataError, match="Unknown data source 'webcam'"):
        load_batch("webcam", CIFAR10, 8)


def test_imagenet16_pickles_keep_first_120_classes(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (300, 3 * 16 * 16), dtype=np.uint8)
    labels = list(rng.integers(1, 1001, 300))
    labels[:40] = list(range(1, 41))  # make sure enough fall in the 120-class subset
    with (tmp_path / "train_data_batch_1").open("wb") as handle:
        pickle.dump({"data": data, "labels": labels, "mean": data.mean(0)}, handle)
    batch = load_batch(f"imagenet16:{tmp_path}", IN16, 16, seed=0)
    assert batch.x.shape == (16, 3, 16, 16)
    assert int(batch.y.max()) < 120 and int(batch.y.min()) >= 0
    keep = np.asarray(labels) <= 120
    pool = data[keep].reshape(-1, 3, 16, 16)
    chosen = np.random.default_rng(0).choice(len(pool), 16, replace=False)
    torch.testing.assert_close(batch.x, _normalised(pool[chosen], IN16))


class _Evil:
    def __reduce__(self):
        return (print, ("owned",))


def test_imagenet16_refuses_code_in_pickles(tmp_path):
    with (tmp_path / "val_data").open("wb") as handle:
        pickle.dump({"data": _Evil(), "labels": [1]}, handle)
    with pytest.raises(DataError, match="refusing to load builtins.print"):
        load_batch(f"imagenet16:{tmp_path / 'val_data'}", IN16, 1)


def test_cifar_through_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as tv_cifar

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    batches = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (6, 3072), dtype=np.uint8)
        batches.append(data)
        with (folder / name).open("wb") as handle:
            pickle.dump({"data": data, "labels": list(range(6))}, handle)
    with (folder / "batches.meta").open("wb") as handle:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, handle)
    # The tiny files cannot match torchvision's MD5 list for the real archive.
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda *args, **kwargs: True)
    batch = load_batch("cifar", CIFAR10, 8, seed=3, data_root=tmp_path)
    train = np.concatenate(batches[:5]).reshape(-1, 3, 32, 32)
    chosen = np.random.default_rng(3).choice(30, 8, replace=False)
    torch.testing.assert_close(batch.x, _normalised(train[chosen], CIFAR10))


def test_cifar_missing_says_where_and_how(tmp_path):
    with pytest.raises(DataError, match="--download"):
        load_batch("cifar", CIFAR10, 8, data_root=tmp_path)


def test_npz_without_x_names_what_it_found(tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((2, 3, 32, 32), np.uint8))
    with pytest.raises(DataError, match=r"has no array 'x' \(found: \['images'\]\)"):
        load_batch(f"npz:{tmp_path / 'd.npz'}", CIFAR10, 1)


def test_labels_outside_the_tasks_classes_leave_the_batch_unlabelled(tmp_path):
    path = tmp_path / "in16.npz"
    x = np.zeros((8, 3, 16, 16), dtype=np.uint8)
    np.savez(path, x=x, y=np.arange(1, 9) * 100)  # 1-based ImageNet labels up to 800
    batch = load_batch(f"npz:{path}", get_dataset("ImageNet16-120"), 4, seed=0)
    assert batch.y is None
    assert "outside ImageNet16-120's classes 0..119" in batch.describe()["labels"]
    np.savez(path, x=x, y=np.arange(8))
    good = load_batch(f"npz:{path}", get_dataset("ImageNet16-120"), 4, seed=0)
    assert good.y is not None and good.describe()["labels"] == "given"
