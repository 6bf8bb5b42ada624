"""Seed 002's size penalties (GDF, HSDF, RDF): values, continuity, how they enter fitness,
and a penalised search that picks smaller networks."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.errors import ZeroNASError
from zeronas.fitness.combiners import Fitness
from zeronas.fitness.penalties import PENALTIES, SizePenalty
from zeronas.proxies import parse_proxy_list
from zeronas.report.plots import penalty_plot

runner = CliRunner()


def test_profiles_at_hand_checked_points():
    mu, s = 200.0, 400.0
    gdf, hsdf, rdf = (SizePenalty(k, mu, s) for k in ("gdf", "hsdf", "rdf"))
    for p in (gdf, hsdf, rdf):
        assert p(0.0) == p(mu) == 1.0  # no penalty up to the target
    assert gdf(mu + s) == pytest.approx(math.exp(-0.5))
    assert hsdf(mu + s) == pytest.approx(1 / math.cosh(math.pi / 2))
    assert rdf(mu + s) == pytest.approx(2 * math.exp(0.5 - 2.0))  # u = 2s
    assert rdf(mu + 2 * s) == pytest.approx(3 * math.exp(0.5 - 4.5))  # u = 3s
    x = np.linspace(mu, mu + 5 * s, 200)
    for p in (gdf, hsdf, rdf):
        values = p(x)
        assert np.all(np.diff(values) <= 1e-12) and values[-1] < 1e-3  # decreasing to 0
        assert p(mu + 1e-6) == pytest.approx(1.0, abs=1e-6)  # continuous at the target


def test_penalty_multiplies_positive_fitness_and_adds_log_to_the_rest():
    penalty = SizePenalty("gdf", 200.0, 400.0)
    params = np.array([0.1, 0.6, 0.6])  # M parameters = 100, 600, 600 kB
    out = penalty.apply(np.array([2.0, 2.0, -1.0]), params)
    p = math.exp(-0.5)
    assert out.tolist() == pytest.approx([2.0, 2.0 * p, -1.0 + math.log(p)])
    fitness = Fitness(tuple(parse_proxy_list("naswot")), "norm-sum", penalty=penalty)
    rows = [{"naswot": 10.0, "params": 0.1}, {"naswot": 12.0, "params": 1.0}]
    assert np.argmax(fitness(rows)) == 0  # the smaller network wins despite a lower score
    assert fitness.describe()["penalty"] == {
        "kind": "gdf",
        "target_kparams": 200.0,
        "width_kparams": 400.0,
    }


def test_bad_penalty_settings_are_named():
    with pytest.raises(ZeroNASError, match="'penalty' parameter of SizePenalty must be one of"):
        SizePenalty("gauss")
    with pytest.raises(ZeroNASError, match="'width_kparams' parameter of SizePenalty must be a"):
        SizePenalty("gdf", 200.0, 0.0)


def test_penalty_plot_draws_the_three_profiles(tmp_path):
    assert set(PENALTIES) == {"gdf", "hsdf", "rdf"}
    assert penalty_plot(tmp_path / "p.png").stat().st_size > 5000


def test_penalised_search_picks_smaller_networks(tmp_path, accuracy_csv, reference_csv):
    args = ["search", "--scores", str(reference_csv), "--benchmark", str(accuracy_csv)]
    args += ["--proxies", "naswot", "--budget", "300", "--json"]
    plain = json.loads(runner.invoke(app, [*args, "--out", str(tmp_path / "a")]).stdout)
    result = runner.invoke(
        app, [*args, "--penalty", "gdf", "--target-kparams", "200", "--width-kparams", "100"]
        + ["--out", str(tmp_path / "b")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    penalised = json.loads(result.stdout)
    assert penalised["fitness"]["penalty"]["kind"] == "gdf"
    assert penalised["best"]["values"]["params"] < plain["best"]["values"].get("params", 2.0)
    assert penalised["best"]["values"]["params"] < 0.5


def test_penalised_experiment_reports_the_size(tmp_path, accuracy_csv, reference_csv):
    args = ["experiment", "--scores", str(reference_csv), "--benchmark", str(accuracy_csv)]
    args += ["--dataset", "cifar10", "--algorithms", "random", "--n", "20", "--runs", "2"]
    args += ["--proxies", "naswot", "--penalty", "gdf", "--out", str(tmp_path), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert set(row["values"]) == {"naswot", "params"} and 0 < row["values"]["params"][0] < 1.6
