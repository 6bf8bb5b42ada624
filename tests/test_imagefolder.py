"""Image folders as users hand them over: without a ``val`` split (carved from train by a
seed), as a ``.tar.gz`` archive (extracted once), and real CIFAR-10 JPEGs (a seeded subset
of ``../shared/datasets/cifar10-jpeg.tar.gz``) through ``score`` and ``train``."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile

import numpy as np
import pytest
from conftest import shared_file
from PIL import Image
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.data.imagefolder import carved_rows, open_split
from zeronas.data.places import archive_key
from zeronas.data.tasks import get_dataset
from zeronas.errors import DataError, ZeroNASError
from zeronas.testing import write_archive_subset

RUNNER = CliRunner()


def _folder(root, splits=("train", "test"), per_class=(12, 7, 5)):
    """Classes a, b, c with ``per_class`` distinct solid-grey 8 x 8 images each."""
    for split in splits:
        for label, count in zip("abc", per_class, strict=True):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                value = np.full((8, 8, 3), 10 * i + ord(label) % 7, np.uint8)
                Image.fromarray(value).save(folder / f"{i}.png")
    return root


@pytest.mark.parametrize("seed", [0, 1])
def test_carved_rows_split_every_class_once(seed):
    labels = np.repeat([0, 1, 2], [50, 9, 1])
    train, val = carved_rows(labels, seed=seed)
    assert sorted([*train, *val]) == list(range(len(labels)))  # each row in exactly one
    assert np.bincount(labels[val], minlength=3).tolist() == [5, 1, 0]  # a tenth, >= 1 of 2+
    again = carved_rows(labels, seed=seed)
    assert np.array_equal(again[1], val)  # seeded
    assert not np.array_equal(carved_rows(labels, seed=seed + 2)[1], val)


def test_a_folder_without_val_gets_it_carved_from_train(tmp_path):
    root = _folder(tmp_path / "f")
    train, val = (open_split(root, s, (8, 8)) for s in ("train", "val"))
    assert (len(train), len(val)) == (24 - 3, 3)
    assert train.classes == val.classes == ["a", "b", "c"]
    assert np.bincount(val.labels).tolist() == [1, 1, 1]
    pixels = {img.tobytes() for img in train.images(range(len(train)))}
    assert not pixels & {img.tobytes() for img in val.images(range(len(val)))}
    assert len(open_split(root, "test", (8, 8))) == 24  # test is never carved
    whole = open_split(root, "train", (8, 8), carve=False)
    assert len(whole) == 24
    decoded = open_split(root, "val", (8, 8)).decode_all()
    assert np.array_equal(decoded.images([0, 2]), val.images([0, 2]))


def test_an_archive_is_extracted_once_and_read_like_its_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERONAS_INDEX_DIR", str(tmp_path / "index"))
    root = _folder(tmp_path / "data" / "shapes")
    archive = tmp_path / "shapes.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="shapes")
    split = open_split(archive, "test", (8, 8))
    assert len(split) == 24 and split.root.name == "shapes"
    assert split.root.is_relative_to(tmp_path / "index")
    opened = []
    monkeypatch.setattr(tarfile, "open", lambda *a, **k: opened.append(a))
    assert len(open_split(archive, "val", (8, 8))) == 3 and not opened  # not extracted again
    os.utime(archive, (1, 1))  # a fresh copy of the same file: same content, other time
    assert len(open_split(archive, "val", (8, 8))) == 3 and not opened


def test_a_concurrent_extraction_of_the_same_archive_is_used(tmp_path, monkeypatch):
    """Another process renames its extraction into place first: ours is dropped, theirs read."""
    monkeypatch.setenv("ZERONAS_INDEX_DIR", str(tmp_path / "index"))
    archive = tmp_path / "shapes.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(_folder(tmp_path / "data" / "shapes"), arcname="shapes")
    target = tmp_path / "index" / "datasets" / f"shapes.tar.gz-{archive_key(archive)}"
    real_mkdtemp = tempfile.mkdtemp

    def other_process_wins(**kwargs):
        shutil.copytree(tmp_path / "data", target)  # their finished extraction
        return real_mkdtemp(**kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", other_process_wins)
    split = open_split(archive, "test", (8, 8))
    assert len(split) == 24 and split.root == target / "shapes"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # ours removed


def test_a_damaged_archive_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERONAS_INDEX_DIR", str(tmp_path / "index"))
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(DataError, match="cannot extract .*cut.tar.gz"):
        open_split(archive, "train", (8, 8))
    assert not list((tmp_path / "index" / "datasets").iterdir())  # nothing half-extracted


@pytest.fixture(scope="module")
def cifar10_subset(tmp_path_factory):
    """20 real CIFAR-10 JPEGs per class and split (train and test; val gets carved)."""
    archive = shared_file("datasets/cifar10-jpeg.tar.gz")
    return write_archive_subset(archive, tmp_path_factory.mktemp("cifar10") / "c10", 20)


def test_real_cifar10_subset_scores_and_trains(cifar10_subset, tmp_path):
    test = open_split(cifar10_subset, "test", (32, 32))
    assert len(test) == 200 and len(test.classes) == 10 and test.classes[0] == "airplane"
    mean = test.images(range(200)).mean() / 255
    assert 0.35 < mean < 0.6  # real photographs, not noise or blanks
    data = f"imagefolder:{cifar10_subset}"
    common = ["--dataset", "cifar10", "--data", data, "--proxies", "naswot", "--batch-size", "16"]
    scored = RUNNER.invoke(app, ["score", *common, "--index", "7", "--json"])
    assert scored.exit_code == 0, scored.output
    doc = json.loads(scored.stdout)
    assert not doc["data"]["synthetic"] and np.isfinite(doc["scores"]["naswot"])
    searched = RUNNER.invoke(app, ["search", *common, "--budget", "4", "--json",
                                   "--out", str(tmp_path / "s")])  # fmt: skip
    assert searched.exit_code == 0, searched.output
    assert json.loads(searched.stdout)["data"]["source"] == data
    trained = RUNNER.invoke(app, ["train", "--dataset", "cifar10", "--data", data,
                                  "--arch", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                                  "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                                  "--epochs", "1", "--batch-size", "32",
                                  "--out", str(tmp_path / "t"), "--json"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    result = json.loads(trained.stdout)
    assert 0.0 <= result["test_accuracy"] <= 100.0 and len(result["history"]) == 1


def test_a_folders_own_task_is_named_by_its_classes_and_side(tmp_path):
    root = _folder(tmp_path / "shapes", splits=("train", "test"), per_class=(12, 7, 9))
    data = f"imagefolder:{root}"
    spec = get_dataset("imagefolder-3-24")
    assert (spec.num_classes, spec.input_shape) == (3, (3, 24, 24))
    arch = "r24_w1.00_c16_s2-res_d1_k3_c32_s2-h0"
    common = ["--space", "mcu", "--arch", arch, "--data", data, "--epochs", "1",
              "--batch-size", "8", "--json"]  # fmt: skip
    wrong = RUNNER.invoke(app, ["train", "--dataset", "cifar10", *common,
                                "--out", str(tmp_path / "w")])  # fmt: skip
    assert wrong.exit_code != 0 and "--dataset imagefolder-3-32" in wrong.output
    trained = RUNNER.invoke(app, ["train", "--dataset", "imagefolder-3-24", *common,
                                  "--out", str(tmp_path / "t")])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    result = json.loads(trained.stdout)
    assert result["num_classes"] == 3 and result["input_shape"] == [3, 24, 24]
    searched = RUNNER.invoke(app, ["search", "--space", "mcu", "--dataset", "imagefolder-3-24",
                                   "--data", data, "--proxies", "naswot", "--budget", "3",
                                   "--batch-size", "16", "--out", str(tmp_path / "s"),
                                   "--json"])  # fmt: skip
    assert searched.exit_code == 0, searched.output
    assert json.loads(searched.stdout)["dataset"] == "imagefolder-3-24"
    with pytest.raises(ZeroNASError, match="N >= 2 classes and a side S in"):
        get_dataset("imagefolder-1-32")
