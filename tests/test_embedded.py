"""The data shipped inside the package: real CIFAR images by default, and the NATS-TSS
ground truth, equal to the shared table it was made from."""

import csv

import numpy as np
import pytest
from conftest import shared_file

from zeronas.data.embedded import EMBEDDED_IMAGES, embedded_images, nats_tss_accuracy
from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import BenchmarkError, DataError
from zeronas.groundtruth.sources import EmbeddedGroundTruth, open_ground_truth
from zeronas.spaces import get_space


def test_auto_data_is_the_shipped_real_images_where_there_are_some():
    batch = load_batch("auto", get_dataset("cifar10"), 64, seed=0)
    assert not batch.synthetic and batch.source == "embedded" and batch.x.shape == (64, 3, 32, 32)
    assert batch.y is not None and set(batch.y.tolist()) <= set(range(10))
    again = load_batch("embedded", get_dataset("cifar10"), 64, seed=0)
    assert batch.fingerprint == again.fingerprint  # auto = embedded here
    assert load_batch("auto", get_dataset("cifar100"), 8, seed=0).source == "embedded"
    imagenet = load_batch("auto", get_dataset("ImageNet16-120"), 8, seed=0)
    assert imagenet.synthetic and imagenet.source == "synthetic"
    with pytest.raises(DataError, match="ships images for cifar10, cifar100 only"):
        load_batch("embedded", get_dataset("ImageNet16-120"), 8)
    with pytest.raises(DataError, match="holds 128 images, fewer than batch 129"):
        load_batch("embedded", get_dataset("cifar10"), 129)


@pytest.mark.parametrize("dataset", sorted(EMBEDDED_IMAGES))
def test_shipped_images_are_real_cifar_images_from_the_shared_sample(dataset):
    x, y = embedded_images(dataset)
    assert x.dtype == np.uint8 and x.shape == (128, 3, 32, 32) and y.shape == (128,)
    with np.load(shared_file(f"images/{dataset}_960_augtrain_uint8.npz")) as source:
        rows = {
            image.tobytes(): label for image, label in zip(source["x"], source["y"], strict=True)
        }
    assert all(rows.get(image.tobytes()) == label for image, label in zip(x, y, strict=True))


def test_shipped_ground_truth_equals_the_table_it_was_made_from(accuracy_csv):
    table, datasets = nats_tss_accuracy()
    assert table.shape == (15625, 3) and datasets == ("cifar10", "cifar100", "ImageNet16-120")
    with accuracy_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            for j, name in enumerate(datasets):
                assert table[int(row["index"]), j] == float(row[f"test_acc_{name}"])
    truth = open_ground_truth(None, space=get_space("nats-tss"))
    assert isinstance(truth, EmbeddedGroundTruth) and "200-epoch" in truth.label
    assert round(truth.accuracy(6111, "cifar10"), 2) == 94.37  # the known optima
    assert round(truth.accuracy(857, "ImageNet16-120"), 2) == 47.31
    with pytest.raises(BenchmarkError, match="no 'vww'"):
        truth.accuracy(1, "vww")


def test_no_shipped_ground_truth_where_it_does_not_fit(monkeypatch):
    monkeypatch.delenv("ZERONAS_BENCHMARK", raising=False)
    with pytest.raises(BenchmarkError, match="No ground truth for space 'nats-sss'"):
        open_ground_truth(None, space=get_space("nats-sss"))
    with pytest.raises(BenchmarkError, match="No ground truth for space 'nats-tss'"):
        open_ground_truth(None, hp="12", space=get_space("nats-tss"))
