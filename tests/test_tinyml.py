"""Seed 004 end to end on small generated data: image folders, the MobileNetV3 baseline,
training with resume, ONNX / bundle export, and the errors a user meets on the way."""

import dataclasses
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.data.imagefolder import open_split
from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.deploy.export import check_onnx, export_onnx, load_bundle, save_bundle
from zeronas.deploy.loaders import image_folder_loaders
from zeronas.deploy.recipe import TrainConfig
from zeronas.deploy.training import CHECKPOINT, train
from zeronas.errors import DataError, ZeroNASError
from zeronas.spaces import get_space
from zeronas.testing import write_lfw_subset

RUNNER = CliRunner()
BLOCKS = get_space("blocks")
SMALL_ARCH = "ds_k3_s2_c16-ds_k3_s1_c24-ir_k3_s2_e2_c24-cn_k3_s1_e2_c32"
VWW32 = dataclasses.replace(get_dataset("vww"), input_shape=(3, 32, 32))


def make_folder(root, per_split=(12, 6, 6), size=(20, 24), seed=0):
    """Two classes a linear model separates: bright-red vs dark-blue noisy images."""
    rng = np.random.default_rng(seed)
    for split, count in zip(("train", "val", "test"), per_split, strict=True):
        for label, colour in (("not_person", (40, 40, 200)), ("person", (200, 40, 40))):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                noise = rng.integers(-40, 40, size=(*size, 3))
                pixels = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def test_imagefolder_batch_is_resized_and_normalised(tmp_path):
    root = make_folder(tmp_path / "f")
    batch = load_batch(f"imagefolder:{root}", VWW32, batch_size=8, seed=0)
    assert batch.x.shape == (8, 3, 32, 32) and not batch.synthetic
    assert set(batch.y.tolist()) <= {0, 1}
    red = batch.x[batch.y == 1][:, 0].mean() > batch.x[batch.y == 0][:, 0].mean()
    assert red  # class folders map to labels in sorted order: not_person 0, person 1


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: r / "missing", "image folder not found"),
        (lambda r: (r / "empty").mkdir() or r / "empty", "has no 'train' split"),
        (lambda r: (r / "e" / "train").mkdir(parents=True) or r / "e", "is empty: it needs"),
        (lambda r: (r / "train" / "cat").mkdir() or r, "class folder .*cat' has no images"),
        (lambda r: (r / "train" / "person" / "0.png").write_bytes(b"no png") and r, "cannot read"),
    ],
)
def test_bad_image_folders_fail_naming_the_path(tmp_path, damage, message):
    root = damage(make_folder(tmp_path / "f"))
    with pytest.raises(DataError, match=message):
        load_batch(f"imagefolder:{root}", VWW32, batch_size=24, seed=0)


def test_splits_must_share_the_train_classes(tmp_path):
    root = make_folder(tmp_path / "f")
    (root / "val" / "person").rename(root / "val" / "people")
    with pytest.raises(DataError, match="split 'val' .* has classes"):
        open_split(root, "val", (32, 32))


def test_lfw_subset_folder_holds_every_face_and_non_face(tmp_path):
    root = write_lfw_subset(tmp_path / "lfw")
    sizes = [len(open_split(root, s, (25, 25))) for s in ("train", "val", "test")]
    assert sizes == [120, 40, 40]
    assert open_split(root, "test", (25, 25)).classes == ["not_person", "person"]


def _train(root, out, epochs=3, resume=False, on_epoch=None, memory_format="contiguous"):
    config = TrainConfig(epochs=epochs, batch_size=8, lr=0.05, seed=0)
    loaders = image_folder_loaders(root, VWW32, config)
    arch = BLOCKS.decode(SMALL_ARCH)
    return train(BLOCKS, arch, VWW32, loaders, config, out, resume, on_epoch,
                 memory_format=memory_format)  # fmt: skip


def test_training_learns_a_separable_folder(tmp_path):
    result = _train(make_folder(tmp_path / "f"), tmp_path / "out", epochs=6)
    assert result.test_accuracy >= 90.0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["test_accuracy"] == result.test_accuracy and len(summary["history"]) == 6


def test_augmentation_follows_the_image_size_and_precise_bn_takes_a_seeded_subset(tmp_path):
    assert TrainConfig().augmentation((32, 32)) == "crop"
    assert TrainConfig().augmentation((128, 128)) == "resized-crop"
    assert TrainConfig(augment="resized-crop").augmentation((32, 32)) == "resized-crop"
    with pytest.raises(ZeroNASError, match="Unknown augmentation 'mixup'"):
        TrainConfig(augment="mixup")
    root = make_folder(tmp_path / "f")
    loaders = image_folder_loaders(root, VWW32, TrainConfig(batch_size=8, bn_images=5))
    calibration = loaders["calibration"].dataset
    assert len(calibration) == 5 and len(set(calibration.indices)) == 5
    again = image_folder_loaders(root, VWW32, TrainConfig(batch_size=8, bn_images=5))
    assert calibration.indices == again["calibration"].dataset.indices  # seeded
    every = image_folder_loaders(root, VWW32, TrainConfig(batch_size=8))["calibration"]
    first = next(iter(every))[1]
    assert sorted(every.dataset.indices) == list(range(24))  # all 24 train images
    assert 0 < int(first.sum()) < len(first)  # both classes in a batch: the folder is shuffled
    x, _ = next(iter(loaders["train"]))
    assert x.shape == (8, 3, 32, 32)  # pad-and-crop keeps the size


def test_resume_after_a_kill_continues_from_the_last_epoch(tmp_path):
    root = make_folder(tmp_path / "f")
    whole = _train(root, tmp_path / "whole")

    def killed(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt  # killed right after epoch 2's checkpoint

    with pytest.raises(KeyboardInterrupt):
        _train(root, tmp_path / "cut", on_epoch=killed)
    assert torch.load(tmp_path / "cut" / CHECKPOINT, weights_only=False)["epoch"] == 2
    resumed = _train(root, tmp_path / "cut", resume=True)
    assert resumed.resumed_from_epoch == 2 and len(resumed.history) == 3
    assert [r["train_loss"] for r in resumed.history] == [r["train_loss"] for r in whole.history]
    assert resumed.test_accuracy == whole.test_accuracy
    with pytest.raises(ZeroNASError, match="settings differ from the checkpoint's: epochs"):
        _train(root, tmp_path / "cut", epochs=5, resume=True)


def test_the_layout_is_measured_once_and_kept_on_resume(tmp_path, monkeypatch):
    from zeronas.deploy import training

    root, calls = make_folder(tmp_path / "f"), []

    def measured(*args, **kwargs):
        calls.append(args[1].shape)
        return "channels_last"

    monkeypatch.setattr(training, "choose_memory_format", measured)
    first = _train(root, tmp_path / "cl", epochs=1, memory_format="auto")
    assert first.memory_format == "channels_last" and calls == [(8, 3, 32, 32)]
    state = torch.load(tmp_path / "cl" / CHECKPOINT, weights_only=True)
    assert state["memory_format"] == "channels_last"
    assert state["model"]["stem.0.weight"].is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(ZeroNASError, match="memory_format must be auto"):
        _train(root, tmp_path / "x", memory_format="nhwc")


def test_the_faster_layout_is_one_of_the_two():
    net = BLOCKS.build(BLOCKS.decode(SMALL_ARCH), 2, (3, 32, 32))
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 0, 1])
    from zeronas.deploy.training import MEMORY_FORMATS, choose_memory_format

    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert choose_memory_format(net, x, y, torch.nn.CrossEntropyLoss(), 1) in MEMORY_FORMATS
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # a copy ran


def test_onnx_export_matches_pytorch_and_the_bundle_rebuilds_the_module(tmp_path):
    for space, arch in ((BLOCKS, BLOCKS.decode(SMALL_ARCH)), (get_space("mobilenetv3-small"), 0.5)):
        torch.manual_seed(0)
        net = space.build(arch, 2, (3, 32, 32)).eval()
        path = export_onnx(net, (3, 32, 32), tmp_path / f"{space.name}.onnx")
        assert check_onnx(net, path, (3, 32, 32)) <= 1e-4
        bundle = save_bundle(net, space, arch, 2, (3, 32, 32), tmp_path / f"{space.name}.pt")
        rebuilt, meta = load_bundle(bundle)
        x = torch.randn(3, 3, 32, 32)
        assert meta["arch"] == space.encode(arch)
        assert torch.equal(rebuilt(x), net(x))


def test_mobilenetv3_baseline_is_scored_like_any_arch():
    space = get_space("mobilenetv3-small")
    assert space.decode(space.encode(0.75)) == 0.75
    with pytest.raises(ZeroNASError, match="width multiplier"):
        space.decode("wide")
    result = RUNNER.invoke(
        app,
        ["score", "--space", "mobilenetv3-small", "--arch", "1.0", "--dataset", "vww",
         "--proxies", "naswot,params", "--batch-size", "8", "--no-cache", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)["scores"]
    assert np.isfinite(values["naswot"]) and 1.4 < values["params"] < 1.6


def test_cli_train_resume_and_export(tmp_path):
    root = make_folder(tmp_path / "f")
    common = ["--space", "blocks", "--arch", SMALL_ARCH, "--image-size", "32"]
    train_args = ["train", *common, "--data", f"imagefolder:{root}", "--epochs", "2",
                  "--batch-size", "8", "--out", str(tmp_path / "t")]  # fmt: skip
    assert RUNNER.invoke(app, train_args).exit_code == 0
    again = RUNNER.invoke(app, train_args)
    assert again.exit_code == 2 and "already holds a checkpoint" in again.output
    assert (tmp_path / "t" / "curve.png").stat().st_size > 0
    # the image size is the trained one's: resuming or exporting at another is refused
    other = [a if a != "32" else "64" for a in train_args]
    resumed = RUNNER.invoke(app, [*other, "--resume"])
    assert resumed.exit_code == 2 and "trains inputs [3, 32, 32]" in resumed.stderr
    wrong = RUNNER.invoke(app, ["export", "--weights", str(tmp_path / "t"), "--image-size", "64"])
    assert wrong.exit_code == 2 and "differs from the 32x32 inputs" in wrong.stderr
    result = RUNNER.invoke(app, ["export", "--weights", str(tmp_path / "t"),
                                 "--out", str(tmp_path / "e"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["onnx_max_abs_error"] <= 1e-4 and doc["arch"] == SMALL_ARCH
    assert doc["input_shape"] == [3, 32, 32]  # no --image-size: the trained size


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "zz_k3_s1_e2_c32-" + SMALL_ARCH], "Unknown block type 'zz'"),
        (["--arch", "-".join(["ir_k7_s1_e6_c320"] * 8)], "breaks the budget: params"),
        (["--arch", SMALL_ARCH, "--max-macs", "0.5"], "breaks the budget: MACs"),
    ],
)
def test_cli_rejects_bad_archs_naming_the_problem(tmp_path, args, message):
    result = RUNNER.invoke(app, ["export", "--space", "blocks", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    from zeronas.deploy.training import _restore

    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    torch.save({"arch": _Exploit(marker)}, path)
    with pytest.raises(ZeroNASError, match="holds other objects, which are refused"):
        _restore(path, None, None, None, None, None)
    assert not marker.exists()
    path.write_bytes(path.read_bytes()[:20])  # truncated
    with pytest.raises(ZeroNASError, match="cannot load"):
        _restore(path, None, None, None, None, None)
