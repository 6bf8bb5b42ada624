import pytest

from zeronas.benchmarks import CSVGroundTruth, NatsBenchGroundTruth, open_ground_truth
from zeronas.errors import BenchmarkError


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
