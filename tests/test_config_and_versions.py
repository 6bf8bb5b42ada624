"""The run configuration, proxy versions and options in the store key, and errors phrased
in API terms (named by their flag on the command line)."""

import dataclasses
import json
import math
import sqlite3

import pytest
from typer.testing import CliRunner

from zeronas import api
from zeronas.cli import app
from zeronas.errors import ParameterError, UnknownNameError, ZeroNASError
from zeronas.proxies import PROXIES, Proxy, get_proxy, parse_proxy_list
from zeronas.proxies.lists import split_proxy_list
from zeronas.proxies.passes import pass_names
from zeronas.scoring.config import ScoringConfig
from zeronas.search import get_searcher
from zeronas.search.config import SearchConfig
from zeronas.store.sqlite import ScoreStore


def test_config_normalises_and_validates_in_api_terms():
    config = ScoringConfig(dataset="CIFAR10", proxies=" naswot , synflow[log=0]")
    assert config.dataset == "cifar10"
    assert config.labels == ("naswot", "synflow[log=false]")  # canonical labels
    assert all(isinstance(p, Proxy) for p in config.proxies)  # parsed once, kept parsed
    with pytest.raises(ZeroNASError, match="proxy 'synflow' is listed twice"):
        ScoringConfig(proxies="synflow,synflow[log=true]")
    assert config == ScoringConfig(proxies=("naswot", "synflow[log=false]"))  # equal values
    assert hash(config) == hash(ScoringConfig(proxies="naswot,synflow[log=false]"))
    cases = {
        "seed": (-1, "The 'seed' parameter of ScoringConfig must be an integer in [0, "),
        "batch_size": (0, "The 'batch_size' parameter of ScoringConfig must be an integer >= 1"),
        "repeats": (1.5, "The 'repeats' parameter of ScoringConfig must be an integer >= 1"),
        "init": ("xavier", "The 'init' parameter of ScoringConfig must be one of kaiming"),
    }
    for field, (value, text) in cases.items():
        with pytest.raises(ParameterError, match=text.replace("[", r"\[")) as caught:
            ScoringConfig(**{field: value})
        assert caught.value.parameter == field and "--" not in str(caught.value)
    with pytest.raises(ParameterError, match="The 'seed' parameter"):
        ScoringConfig(seed=2**70)
    with pytest.raises(UnknownNameError, match="Did you mean 'synflow'"):
        ScoringConfig(proxies="synflw")


def test_the_cli_names_the_flag_of_a_bad_configuration_value():
    runner = CliRunner()
    for args, text in [
        (["score", "--index", "1", "--seed", "-1"], "--seed must be an integer in [0, "),
        (["search", "--budget", "3", "--batch-size", "0"], "--batch-size must be an integer >= 1"),
        (["correlate", "--init", "xavier"], "--init must be one of kaiming, kaiming_fan_in, "),
    ]:
        result = runner.invoke(app, [*args, "--no-cache"])
        assert result.exit_code == 2, result.output
        assert text in result.stderr and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1


def test_search_config_is_built_from_fields_or_given_whole():
    config = SearchConfig(ScoringConfig(proxies="naswot,logsynflow"), weights=(1, 0.5))
    assert config.weights == (1.0, 0.5)
    with pytest.raises(UnknownNameError, match="Did you mean 'norm-sum'"):
        SearchConfig(combine="normsum")
    with pytest.raises(ParameterError, match="Unknown parameter 'batchsize'"):
        api.search_setup(batchsize=4)
    run = api.search_setup(proxies="params,skip", max_params=1.0, combine="rank")
    assert run.config.scoring.labels == ("params", "skip")
    assert run.config.limits.max_params == 1.0 and run.fitness.combine == "rank"
    assert run.describe()["config"]["scoring"]["proxies"] == ["params", "skip"]


def test_proxy_options_from_the_list_and_the_api():
    assert split_proxy_list("a, b[x=1,y=2] ,c[]") == ["a", "b[x=1,y=2]", "c[]"]
    raw, logged = parse_proxy_list("synflow[log=false],synflow")
    assert raw.name == "synflow[log=false]" and logged.name == "synflow"
    assert get_proxy("synflow", log=False) == raw and get_proxy("synflow[log=true]") == logged
    run = api.setup(proxies=(raw.name, logged.name), data="synthetic", batch_size=2)
    values = run.scorer(run.space.arch(1)).values
    assert math.log(values[raw.name].value) == pytest.approx(values["synflow"].value, rel=1e-12)
    for bad, text in [
        ("synflow[lg=1]", "Unknown parameter 'lg' of proxy 'synflow': use one of the valid"),
        ("synflow[log=maybe]", "'log' parameter of proxy 'synflow' must be a bool. Got 'maybe'"),
        ("synflow[log]", "proxy option must be key=value"),
        ("naswot[x=1", "name[key=value,...]"),
    ]:
        with pytest.raises(ZeroNASError, match=text.replace("[", r"\[")):
            parse_proxy_list(bad)


def test_proxies_json_lists_versions_options_and_needs():
    doc = json.loads(CliRunner().invoke(app, ["proxies", "--json"]).stdout)
    rows = {row["name"]: row for row in doc["proxies"]}
    assert rows["synflow"]["options"] == {"log": {"default": True, "type": "bool"}}
    assert rows["entropy"]["version"] == 2 and rows["naswot"]["version"] == 1
    assert rows["naswot"]["reads"] == "forward" and rows["naswot"]["needs_data"]
    assert rows["ntk_cond"]["higher_is_better"] is False
    assert {row["reads"] for row in doc["proxies"]} <= set(pass_names())
    sets = {row["name"]: row for row in doc["sets"]}
    assert sets["az_nas"]["combine"] == "logrank" and "flops" in sets["az_nas"]["members"]


def test_a_new_proxy_version_is_recomputed_and_old_rows_are_stale(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite"
    run = api.setup(proxies="params,logsynflow", data="synthetic", batch_size=2, cache=path)
    arch = run.space.arch(3)
    run.scorer(arch)
    assert run.scorer.misses == 2
    again = api.setup(proxies="params,logsynflow", data="synthetic", batch_size=2, cache=path)
    again.scorer(arch)
    assert again.scorer.hits == 2 and again.scorer.misses == 0
    bumped = dataclasses.replace(PROXIES.get("logsynflow"), version=2)
    monkeypatch.setitem(PROXIES._items, "logsynflow", bumped)
    third = api.setup(proxies="params,logsynflow", data="synthetic", batch_size=2, cache=path)
    third.scorer(arch)
    assert third.scorer.hits == 1 and third.scorer.misses == 1  # logsynflow v2 is computed
    runner = CliRunner()
    info = json.loads(runner.invoke(app, ["cache", "info", "--cache", str(path), "--json"]).stdout)
    assert info["rows"] == 3 and info["stale_rows"] == 1  # logsynflow v1
    result = runner.invoke(app, ["cache", "clear", "--stale", "--cache", str(path)])
    assert result.exit_code == 0 and "deleted 1 stale rows" in result.stdout
    assert ScoreStore(path).info()["rows"] == 2


def test_a_store_from_before_proxy_versions_is_recomputed_not_misread(tmp_path):
    path = tmp_path / "old.sqlite"
    run = api.setup(proxies="params", data="synthetic", batch_size=2, cache=path)
    arch = run.space.arch(5)
    true_value = run.scorer(arch).values["params"].value
    with sqlite3.connect(path) as db:  # what schema 1 wrote: the package version as version
        db.execute("UPDATE scores SET version = '0.1.0', value = 123.0")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    reopened = api.setup(proxies="params", data="synthetic", batch_size=2, cache=path)
    assert reopened.scorer(arch).values["params"].value == true_value != 123.0
    assert reopened.scorer.misses == 1
    assert ScoreStore(path).stale({"params": "1"}) == 1


def test_searcher_presets_are_named_after_their_papers():
    assert get_searcher("rea-cossu").params()["population"] == 1000
    assert get_searcher("ga-hsieh").params()["generations"] == 30
    with pytest.raises(UnknownNameError, match="'rea-seed001' was renamed to 'rea-cossu'"):
        get_searcher("rea-seed001")
    result = CliRunner().invoke(app, ["search", "--algorithm", "ga-seed003", "--no-cache"])
    assert result.exit_code == 2 and "renamed to 'ga-hsieh'" in result.stderr


def test_a_proxy_set_stands_for_its_members_and_brings_its_combiner():
    scoring = ScoringConfig(proxies="az_nas,naswot")
    assert scoring.labels == (
        "flops", "az_expressivity", "az_progressivity", "az_trainability", "naswot",
    )  # fmt: skip
    with pytest.warns(UserWarning, match="'flops' is listed beside 'az_nas', a set it is"):
        assert ScoringConfig(proxies="flops,az_nas").labels[0] == "flops"  # computed once
    assert "flops" in ScoringConfig(proxies="az_nas,ensemble").labels  # sets may share
    assert SearchConfig(scoring=ScoringConfig(proxies="az_nas")).fitness_combine() == "logrank"
    assert SearchConfig(scoring=scoring).fitness_combine() == "norm-sum"  # more than the set
    explicit = SearchConfig(scoring=ScoringConfig(proxies="az_nas"), combine="rank")
    assert explicit.fitness_combine() == "rank"
    with pytest.raises(ZeroNASError, match="listed twice"):
        ScoringConfig(proxies="naswot,naswot")


def test_a_proxy_defined_on_one_space_is_refused_on_another_before_any_work():
    assert get_proxy("skip").spaces == ("nats-tss",)
    assert ScoringConfig(space="nats-tss", proxies="skip").labels == ("skip",)
    for name in ("skip", "linear_regions"):
        with pytest.raises(ParameterError, match=f"defined on nats-sss .{name}: nats-tss"):
            ScoringConfig(space="nats-sss", proxies=f"params,{name}")
