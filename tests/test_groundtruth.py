import pytest

from zeronas.errors import BenchmarkError, ParameterError
from zeronas.groundtruth import CSVGroundTruth, NatsBenchGroundTruth, open_ground_truth


def test_shared_table(accuracy_csv):
    truth = CSVGroundTruth(accuracy_csv)
    assert truth.accuracy(0, "cifar10") == pytest.approx(85.8633)
    assert truth.accuracy(9930, "cifar100") == pytest.approx(73.51, abs=0.01)
    assert truth.params(1, "cifar10") == pytest.approx(0.802426)
    with pytest.raises(BenchmarkError, match="no column 'test_acc_vww'"):
        truth.accuracy(0, "vww")


def test_env_variable_names_the_table(accuracy_csv, monkeypatch):
    monkeypatch.setenv("ZERONAS_BENCHMARK", str(accuracy_csv))
    assert open_ground_truth(None).accuracy(1, "cifar10") == pytest.approx(93.66)
    monkeypatch.delenv("ZERONAS_BENCHMARK")
    with pytest.raises(BenchmarkError, match="--benchmark"):
        open_ground_truth(None)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("idx,arch\n0,x\n", "lacks column"),
        ("index,arch,test_acc_cifar10\n", "no rows"),
        ("index,arch,test_acc_cifar10\nzero,x,1\n", "Malformed"),
    ],
)
def test_malformed_tables(tmp_path, text, fragment):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(BenchmarkError, match=fragment):
        CSVGroundTruth(path)


def test_bad_value_and_missing_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("index,arch,test_acc_cifar10\n0,x,n/a\n")
    with pytest.raises(BenchmarkError, match="Malformed value 'n/a'"):
        CSVGroundTruth(path).accuracy(0, "cifar10")
    with pytest.raises(BenchmarkError, match="not found"):
        open_ground_truth(tmp_path / "missing.csv")


def test_pickled_benchmark_needs_opt_in(tmp_path):
    with pytest.raises(BenchmarkError, match="--allow-pickle"):
        open_ground_truth(tmp_path / "NATS-tss-v1_0-3ffb9-simple")


class _FakeNatsAPI:
    """Follows nats_bench's get_more_info signature and keys."""

    def __init__(self):
        self.calls = []

    def get_more_info(self, index, dataset, iepoch=None, hp="12", is_random=True):
        self.calls.append((index, dataset, hp, is_random))
        return {"test-accuracy": 90.0 + index, "valid-accuracy": 80.0 + index}


def test_nats_bench_api_path_uses_explicit_schedule():
    api = _FakeNatsAPI()
    truth = NatsBenchGroundTruth(api, hp="200")
    assert truth.accuracy(3, "cifar10") == 93.0
    assert api.calls == [(3, "cifar10", "200", False)]
    assert "200-epoch" in truth.label
    assert NatsBenchGroundTruth(api, hp="12", split="valid").accuracy(1, "cifar100") == 81.0


def test_nats_bench_schedules_are_checked_per_space():
    api = _FakeNatsAPI()
    truth = NatsBenchGroundTruth(api, hp="90", kind="sss")
    assert truth.accuracy(5, "cifar100") == 95.0 and api.calls[-1][2] == "90"
    assert "90-epoch" in truth.label and "sss" in truth.label
    with pytest.raises(BenchmarkError, match="hp '200' is not a schedule of the NATS-Bench 'sss'"):
        NatsBenchGroundTruth(api, hp="200", kind="sss")
    with pytest.raises(BenchmarkError, match="Allowed: 12, 200"):
        NatsBenchGroundTruth(api, hp="90", kind="tss")


def test_official_sss_file_opens_as_sss_at_90_epochs(tmp_path, monkeypatch):
    """The official-file path through nats_bench.create, with a stand-in API object (no
    official file is available offline)."""
    import nats_bench

    from zeronas.spaces import get_space

    opened = []

    def fake_create(path, search_space, fast_mode=False, verbose=True):
        opened.append((path, search_space, fast_mode))
        return _FakeNatsAPI()

    monkeypatch.setattr(nats_bench, "create", fake_create)
    path = tmp_path / "NATS-sss-v1_0-50262-simple"
    path.mkdir()
    truth = open_ground_truth(path, allow_pickle=True, space=get_space("nats-sss"))
    assert opened == [(str(path), "sss", True)]
    assert truth.hp == "90" and truth.accuracy(2, "cifar10") == 92.0
    assert truth.api.calls == [(2, "cifar10", "90", False)]
    tss = open_ground_truth(path, allow_pickle=True, space=get_space("nats-tss"))
    assert opened[-1][1] == "tss" and tss.hp == "200"
    with pytest.raises(ParameterError, match="must be one of 01, 12, 90 .*Got '12x'"):
        open_ground_truth(path, allow_pickle=True, hp="12x", space=get_space("nats-sss"))


def test_csv_schedule_label_follows_the_space(accuracy_csv):
    from zeronas.spaces import get_space

    tss = open_ground_truth(accuracy_csv, space=get_space("nats-tss"))
    assert tss.label == "test accuracy, 200-epoch schedule (CSV table)"
    with pytest.raises(BenchmarkError, match="Row index 0 .* space 'nats-sss' is '8:8:8:8:8'"):
        open_ground_truth(accuracy_csv, space=get_space("nats-sss"))


RECORDED = (0, 11, 284)  # the indices whose full records the shared official copies hold
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


def test_the_official_tss_file_through_nats_bench_equals_the_table(accuracy_csv):
    """The real nats_bench path (fast mode) on the official TSS directory, behind the
    pickle opt-in: accuracies, schedules, the index list, and a record that is absent."""
    from conftest import shared_file

    from zeronas.spaces import get_space

    folder = shared_file("benchmarks/nats-official/NATS-tss-v1_0-3ffb9-simple")
    space = get_space("nats-tss")
    with pytest.raises(BenchmarkError, match="allow it"):
        open_ground_truth(folder, allow_pickle=False, space=space)
    official = open_ground_truth(folder, allow_pickle=True, space=space)  # checks all 15,625
    table = CSVGroundTruth(accuracy_csv)
    assert official.label == "test accuracy, 200-epoch schedule (NATS-Bench tss file)"
    for index in RECORDED:
        for dataset in DATASETS:
            assert official.accuracy(index, dataset) == pytest.approx(
                table.accuracy(index, dataset), abs=1e-4
            )
    short = open_ground_truth(folder, allow_pickle=True, hp="12", space=space)
    assert "12-epoch" in short.label
    assert short.accuracy(11, "cifar10") < official.accuracy(11, "cifar10")
    with pytest.raises(BenchmarkError, match="has no record of index 1 "):
        official.accuracy(1, "cifar10")
    with pytest.raises(ParameterError, match="must be one of 12, 200 .*Got '90'"):
        open_ground_truth(folder, allow_pickle=True, hp="90", space=space)


def test_the_official_sss_file_gives_the_validation_table():
    from conftest import shared_file

    from zeronas.spaces import get_space

    folder = shared_file("benchmarks/nats-official/NATS-sss-v1_0-50262-simple")
    table = CSVGroundTruth(shared_file("benchmarks/nats-sss/accuracy_valid_hp90.csv"), "90")
    official = open_ground_truth(folder, True, space=get_space("nats-sss"), split="valid")
    assert official.label == "validation accuracy, 90-epoch schedule (NATS-Bench sss file)"
    assert table.split == "valid"
    for index in RECORDED:
        for dataset in DATASETS:  # CIFAR-10's validation is NATS-Bench's "cifar10-valid"
            assert official.accuracy(index, dataset) == pytest.approx(
                table.accuracy(index, dataset), abs=1e-3
            )
