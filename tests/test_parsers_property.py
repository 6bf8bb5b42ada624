"""Property: every parser of user input either returns a valid value that round-trips, or
raises the project's own error (a ZeroNASError), never another exception."""

import contextlib
import string
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zeronas.data.sources import _read_npz
from zeronas.errors import ZeroNASError
from zeronas.fitness.combiners import parse_weights
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.proxies import parse_proxy_list
from zeronas.spaces import get_space, list_spaces
from zeronas.store.tables import ScoreTable

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENS = st.sampled_from(
    ["naswot", "synflow", "params", "skip", "log", "=", "[", "]", ",", "true", "0", " ", "x"]
)


def _edits(text: str) -> st.SearchStrategy[str]:
    """``text`` with a few characters replaced, inserted or deleted."""
    alphabet = st.sampled_from(sorted(set(text + string.punctuation + string.digits)))

    @st.composite
    def edited(draw):
        chars = list(text)
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(chars)))
            kind = draw(st.sampled_from(["replace", "insert", "delete"]))
            if kind == "insert" or not chars:
                chars.insert(at, draw(alphabet))
            elif kind == "replace":
                chars[min(at, len(chars) - 1)] = draw(alphabet)
            else:
                del chars[min(at, len(chars) - 1)]
        return "".join(chars)

    return edited()


@pytest.mark.parametrize("name", list_spaces())
def test_arch_strings_parse_and_round_trip_or_are_refused(name):
    space = get_space(name)
    valid = space.encode(space.sample(np.random.default_rng(0)))

    @FAST
    @given(st.one_of(_edits(valid), st.text(max_size=60)))
    def check(text):
        try:
            arch = space.decode(text)
        except ZeroNASError:
            return
        canonical = space.encode(arch)
        assert space.encode(space.decode(canonical)) == canonical

    check()


@FAST
@given(st.lists(TOKENS, max_size=12).map("".join))
def test_proxy_lists_parse_to_labels_that_round_trip_or_are_refused(text):
    try:
        proxies = parse_proxy_list(text)
    except ZeroNASError:
        return
    labels = ",".join(p.name for p in proxies)
    assert [p.name for p in parse_proxy_list(labels)] == [p.name for p in proxies]


@FAST
@given(st.one_of(st.text(max_size=20), st.lists(st.floats(), max_size=3).map(tuple)))
def test_weights_are_finite_numbers_one_per_proxy_or_refused(text):
    proxies = parse_proxy_list("naswot,synflow")
    try:
        weights = parse_weights(text, proxies)
    except ZeroNASError:
        return
    assert len(weights) == 2 and all(np.isfinite(weights)) and any(weights)


CELL = st.one_of(st.sampled_from(["0", "1", "93.5", "-1", "nan", "inf", "", "x", "1e309"]))


@st.composite
def _tables(draw):
    header = draw(
        st.lists(
            st.sampled_from(["index", "arch", "test_acc_cifar10", "naswot_cifar10", "x"]),
            min_size=1,
            max_size=4,
        )
    )
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)), max_size=4))
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


@FAST
@given(_tables())
def test_benchmark_and_score_tables_open_or_are_refused(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text(text)
        try:
            truth = CSVGroundTruth(path)
            for index in truth.rows:
                assert 0 <= truth.accuracy(index, "cifar10") <= 100
        except ZeroNASError:
            pass
        with contextlib.suppress(ZeroNASError):
            ScoreTable(path, "cifar10")


@FAST
@given(st.binary(max_size=400), st.integers(0, 300))
def test_npz_files_are_read_or_refused(noise, cut):
    with tempfile.TemporaryDirectory() as folder:
        good = Path(folder) / "good.npz"
        np.savez(good, x=np.zeros((2, 3, 4, 4), np.uint8), y=np.arange(2))
        data = good.read_bytes()
        damaged = Path(folder) / "damaged.npz"
        damaged.write_bytes(data[:cut] + noise + data[cut + len(noise) :])
        try:
            x, y = _read_npz(damaged)
        except ZeroNASError:
            return
        assert x.dtype == np.uint8 and x.ndim == 4 and (y is None or len(y) == len(x))
