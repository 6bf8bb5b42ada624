"""Precomputed scores: values and recorded seconds by index, live fallback, clear errors."""

import math

import pytest

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import BenchmarkError
from zeronas.proxies import parse_proxy_list
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.scorer import Scorer
from zeronas.scoring.table import TableScorer
from zeronas.spaces import get_space
from zeronas.store.tables import ScoreTable

SPACE = get_space("nats-tss")


@pytest.fixture
def table_csv(tmp_path):
    path = tmp_path / "scores.csv"
    arch0, arch1 = (SPACE.encode(SPACE.arch(i)) for i in (0, 1))
    path.write_text(
        "index,arch,naswot_cifar10,naswot_seconds_cifar10,synflow_cifar10,naswot_cifar100\n"
        f"0,{arch0},700.5,0.25,1e30,1.0\n"
        f"1,{arch1},-inf,0.5,nan,2.0\n"
    )
    return path


def test_values_and_seconds_by_index(table_csv):
    table = ScoreTable(table_csv, "cifar10")
    assert table.proxies == ["naswot", "synflow"]
    proxies = parse_proxy_list("naswot,synflow")
    scorer = TableScorer(SPACE, table, proxies)
    first = scorer(SPACE.arch(0))
    assert first.values["naswot"].value == 700.5 and first.values["naswot"].seconds == 0.25
    assert first.values["synflow"].seconds == 0.0  # no seconds column: nothing to account
    second = scorer(SPACE.arch(1))
    assert second.values["naswot"].value == -math.inf and second.values["naswot"].ok
    assert second.values["synflow"].error == "table value is nan"
    missing = scorer(SPACE.arch(2))
    assert missing.values["naswot"].error == "index 2 is not in scores.csv"


def test_missing_proxies_are_computed_live(table_csv):
    table = ScoreTable(table_csv, "cifar10")
    proxies = parse_proxy_list("naswot,skip")
    cifar10 = get_dataset("cifar10")
    live = Scorer(
        ScoringConfig(space=SPACE.name, dataset=cifar10.name, proxies=proxies[1:]),
        load_batch("synthetic", cifar10, 2),
    )
    scores = TableScorer(SPACE, table, proxies, live)(SPACE.arch(0))
    assert list(scores.values) == ["naswot", "skip"]
    # index 0 has skip edges 1->2, 1->3, 2->3: bypassing 0, 1 and 0 nodes
    assert scores.values["skip"].value == pytest.approx(1 / 3)
    with pytest.raises(BenchmarkError, match="has no column for skip on cifar10"):
        TableScorer(SPACE, table, proxies)


def test_bad_tables_are_named(tmp_path, table_csv):
    with pytest.raises(BenchmarkError, match="Scores file not found"):
        ScoreTable(tmp_path / "nope.csv", "cifar10")
    with pytest.raises(BenchmarkError, match=r"no '<proxy>_ImageNet16-120' column .*cifar10"):
        ScoreTable(table_csv, "ImageNet16-120")
    bad = tmp_path / "bad.csv"
    bad.write_text("index,naswot_cifar10\n0,abc\n")
    with pytest.raises(BenchmarkError, match="Malformed row 2"):
        ScoreTable(bad, "cifar10")
    noindex = tmp_path / "noindex.csv"
    noindex.write_text("naswot_cifar10\n1\n")
    with pytest.raises(BenchmarkError, match="needs an 'index' column"):
        ScoreTable(noindex, "cifar10")


def test_a_table_of_another_space_is_refused(tmp_path, table_csv, reference_csv):
    sss = get_space("nats-sss")
    with pytest.raises(BenchmarkError, match="index 0 of space 'nats-sss' is '8:8:8:8:8'"):
        TableScorer(sss, ScoreTable(table_csv, "cifar10"), parse_proxy_list("naswot"))
    whole = ScoreTable(reference_csv, "cifar10")  # FreeREA's: every TSS index, no arch column
    TableScorer(SPACE, whole, parse_proxy_list("naswot"))
    with pytest.raises(BenchmarkError, match="15625 rows and no 'arch' column"):
        TableScorer(sss, whole, parse_proxy_list("naswot"))
    partial = tmp_path / "partial.csv"
    partial.write_text("index,naswot_cifar10\n0,1.0\n")
    with pytest.raises(BenchmarkError, match="1 rows and no 'arch' column"):
        TableScorer(SPACE, ScoreTable(partial, "cifar10"), parse_proxy_list("naswot"))
    twice = tmp_path / "twice.csv"
    twice.write_text("index,naswot_cifar10\n0,1.0\n0,2.0\n")
    with pytest.raises(BenchmarkError, match="index 0 appears twice"):
        ScoreTable(twice, "cifar10")
