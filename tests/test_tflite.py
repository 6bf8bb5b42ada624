"""int8 TFLite and TFLite Micro, the real ones (the optional extra zeronas[mcu]; CI installs
it): conversion, the estimate against the runtime's recorder, ``export --int8`` end to end
on real CIFAR-10 JPEGs, a layer the converter cannot lower, and the message without the
extra."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import torch
from conftest import shared_file
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.errors import ZeroNASError
from zeronas.hardware.int8_memory import int8_footprint
from zeronas.spaces import get_space
from zeronas.spaces.mcu import RESNET8, MCUSpace
from zeronas.testing import trained_like, write_archive_subset

RUNNER = CliRunner()
SPACE = MCUSpace()
SHAPE = (3, 32, 32)
needs_extra = pytest.mark.skipif(
    importlib.util.find_spec("litert_torch") is None
    or importlib.util.find_spec("tflite_micro") is None,
    reason="the optional extra zeronas[mcu] (litert-torch, tflite-micro) is not installed",
)


@needs_extra
@pytest.mark.parametrize(
    "text", [RESNET8, "r24_w0.50_c16_s1-ir_d2_k5_e1_c16_s2-ir_d2_k3_e4_c24_s2-h128"]
)
def test_the_estimate_is_what_tflite_micro_allocates(text):
    from zeronas.deploy.tflite import MicroRuntime, convert_int8, read_model

    arch = SPACE.decode(text)
    net = trained_like(SPACE.build(arch, 10, SHAPE))
    images = torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(1))
    data = convert_int8(net, SHAPE, [images])
    graph = SPACE.graph(arch, 10, SHAPE)
    assert read_model(data).ops == tuple(layer.op for layer in graph.layers)
    runtime = MicroRuntime(data)
    arena, estimate = runtime.arena(), int8_footprint(graph)
    assert arena.head == estimate.head  # the planner, replayed exactly
    assert abs(estimate.arena - arena.total) <= 0.01 * arena.total
    assert abs(estimate.flash - len(data)) <= 0.01 * len(data)
    with torch.inference_mode():
        fp32 = net(images).numpy()
    int8 = runtime.logits(images.numpy())
    assert np.abs(int8 - fp32).max() <= 0.1 * np.abs(fp32).max() + 0.05
    assert runtime.interpreter.get_input_details(0)["shape"].tolist() == [1, 32, 32, 3]  # NHWC


@needs_extra
def test_a_layer_left_in_float_is_refused_by_name():
    from zeronas.deploy.tflite import ConversionError, convert_int8

    blocks = get_space("blocks")  # ConvNeXt: LayerNorm and GELU have no int8 lowering here
    arch = blocks.decode("cn_k3_s2_e2_c16-cn_k3_s1_e2_c16-cn_k3_s2_e2_c24-cn_k3_s1_e2_c24")
    net = blocks.build(arch, 2, SHAPE).eval()
    with pytest.raises(ConversionError, match=r"left op \d+ .* layer '.*'"):
        convert_int8(net, SHAPE, [torch.randn(2, *SHAPE)])


def test_without_the_extra_int8_export_says_how_to_install_it(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "litert_torch" else real(name, *a),
    )
    result = RUNNER.invoke(app, ["export", "--space", "mcu", "--arch", RESNET8, "--dataset",
                                 "cifar10", "--int8", "--out", str(tmp_path / "e")])  # fmt: skip
    assert result.exit_code == 2
    assert "pip install 'zeronas[mcu]'" in result.output and "litert_torch" in result.output
    assert not (tmp_path / "e").exists()  # refused before any work


@needs_extra
def test_train_then_export_int8_runs_in_tflite_micro(tmp_path):
    archive = shared_file("datasets/cifar10-jpeg.tar.gz")
    folder = write_archive_subset(archive, tmp_path / "c10", 12, seed=1)
    common = ["--space", "mcu", "--arch", RESNET8, "--dataset", "cifar10"]
    trained = RUNNER.invoke(app, ["train", *common, "--data", f"imagefolder:{folder}",
                                  "--epochs", "1", "--batch-size", "32",
                                  "--out", str(tmp_path / "t")])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    result = RUNNER.invoke(app, ["export", "--weights", str(tmp_path / "t"), "--int8",
                                 "--mcu", "stm32f412", "--calibration-images", "32",
                                 "--out", str(tmp_path / "e"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["int8"]
    assert report["test_images"] == 120 and report["calibration_images"] == 32
    assert 0 <= report["int8_accuracy"] <= 100 and report["int8_fp32_agreement"] >= 80
    assert report["fits"] is True and report["limits"]["mcu"] == "stm32f412"
    assert (
        abs(report["estimate"]["arena_bytes"] - report["arena_bytes"])
        <= 0.01 * report["arena_bytes"]
    )
    tflite = (tmp_path / "e" / "model.tflite").read_bytes()
    assert len(tflite) == report["flash_bytes"] and tflite[4:8] == b"TFL3"
    source = (tmp_path / "e" / "model_data.cc").read_text()
    assert f"g_model_len = {len(tflite)};" in source and "alignas(16)" in source
    small = RUNNER.invoke(app, ["export", "--weights", str(tmp_path / "t"), "--int8",
                                "--max-sram-kib", "20", "--test-images", "10",
                                "--out", str(tmp_path / "e2"), "--json"])  # fmt: skip
    assert small.exit_code == 0, small.output
    assert json.loads(small.stdout)["int8"]["fits"] is False


def test_bad_int8_export_options_are_refused(tmp_path):
    with pytest.raises(ZeroNASError, match="--calibration-images must be >= 1"):
        from zeronas.deploy.int8 import export_int8

        export_int8(None, SPACE, SPACE.decode(RESNET8), None, "x", tmp_path, calibration_images=0)
