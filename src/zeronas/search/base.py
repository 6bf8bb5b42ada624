"""The searcher protocol, its registry, and the one evaluation loop every searcher shares.

Call order: :meth:`Searcher.run` builds an :class:`Evaluator` and calls the algorithm's
``_search(space, evaluator, rng)``, which proposes architectures with ``evaluator.evaluate``
until that raises :class:`BudgetExhausted` (or the algorithm finishes by itself). The
evaluator owns everything algorithms must not re-implement:

* de-duplication: an architecture seen before returns its first record and costs nothing;
* hard constraints, checked before any proxy runs (rejected candidates are recorded);
* failures: a candidate whose build or proxy raised, or gave NaN/+inf, is recorded with its
  error and gets fitness -inf; the search goes on;
* the budget, in evaluations (candidates scored, failed ones included) and/or seconds;
* search time = loop overhead + the scoring seconds of every new candidate, as measured or
  as recorded by a precomputed table (FreeREA's accounting);
* the full history, and a progress callback after each new candidate.
"""

from __future__ import annotations

import abc
import inspect
import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zeronas.budgets import (
    BudgetChecker,
    BudgetedSpace,
    Constraints,
    NoArchitectureWithinBudget,
)
from zeronas.datasets import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.executors import Executor
from zeronas.fitness import Fitness
from zeronas.registry import Registry
from zeronas.scoring import ArchScores
from zeronas.spaces.base import SearchSpace

__all__ = [
    "Budget",
    "BudgetExhausted",
    "Evaluation",
    "Evaluator",
    "SearchResult",
    "Searcher",
    "SEARCHERS",
    "register_searcher",
    "get_searcher",
    "list_searchers",
]

ScoreFn = Callable[[Hashable], ArchScores]
OnEval = Callable[["Evaluation", "Evaluator"], None]


class BudgetExhausted(Exception):  # noqa: N818 -- a stop signal, not an error
    """Raised by :meth:`Evaluator.evaluate` when the search must stop; the message says why."""


@dataclass(frozen=True)
class Budget:
    """When a search stops: after ``evaluations`` candidates scored and/or ``seconds`` of
    search time, or after ``stall`` proposals in a row that brought nothing new (all seen
    before or rejected by a constraint)."""

    evaluations: int | None = None
    seconds: float | None = None
    stall: int = 1000

    def __post_init__(self) -> None:
        if self.evaluations is None and self.seconds is None:
            raise ZeroNASError("a search needs a budget: --budget N evaluations and/or --seconds S")
        if self.evaluations is not None and self.evaluations < 1:
            raise ZeroNASError(f"--budget must be >= 1 evaluation, got {self.evaluations}")
        if self.seconds is not None and not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ZeroNASError(f"--seconds must be a positive number, got {self.seconds}")
        if self.stall < 1:
            raise ZeroNASError(f"stall limit must be >= 1 proposal, got {self.stall}")


@dataclass(frozen=True)
class Evaluation:
    """One architecture as the search first met it.

    ``status``: ``ok`` (every proxy gave a value; -inf counts as a value), ``failed`` (build
    or proxy error, NaN or +inf: ``error`` says which) or ``rejected`` (a hard constraint,
    checked before any proxy ran). ``seconds``: its scoring seconds (measured, or recorded in
    a precomputed table); ``elapsed``: search seconds when it was done.
    """

    step: int
    arch: str
    index: int | None
    status: str
    values: dict[str, float]
    seconds: float
    elapsed: float
    error: str | None = None
    genome: Hashable = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Evaluator:
    """The shared loop state of one search run (see the module docstring)."""

    def __init__(
        self,
        space: SearchSpace,
        score_fn: ScoreFn,
        fitness: Fitness,
        budget: Budget,
        constraints: Constraints | None = None,
        dataset: DatasetSpec | None = None,
        on_eval: OnEval | None = None,
        clock: Callable[[], float] = time.perf_counter,
        executor: Executor | None = None,
        checker: BudgetChecker | None = None,
    ) -> None:
        if constraints is not None and constraints.active and dataset is None:
            raise ZeroNASError("constraints need the dataset (class count and input shape)")
        if checker is None and constraints is not None and constraints.active:
            checker = BudgetChecker(constraints, space, dataset)  # type: ignore[arg-type]
        self.checker = checker
        self.space, self.score_fn, self.fitness, self.budget = space, score_fn, fitness, budget
        self.constraints, self.dataset, self.on_eval, self.clock = (
            constraints,
            dataset,
            on_eval,
            clock,
        )
        self.executor = executor
        self.history: list[Evaluation] = []
        self.evaluations = 0
        self.proposals = 0
        self._memo: dict[Hashable, Evaluation] = {}
        self._stall = 0
        self._start = clock()
        self._scoring_wall = 0.0
        self._scoring_seconds = 0.0

    @property
    def wall_seconds(self) -> float:
        return self.clock() - self._start

    @property
    def elapsed(self) -> float:
        """Search seconds: loop overhead plus the measured or recorded scoring seconds."""
        return self.wall_seconds - self._scoring_wall + self._scoring_seconds

    @property
    def parallelism(self) -> int:
        """How many candidates the executor scores at once (1 without one)."""
        return self.executor.workers if self.executor is not None else 1

    def evaluate(self, genome: Hashable) -> Evaluation:
        """The record of ``genome``: the old one if seen before (free), else a new one."""
        return self.evaluate_many([genome])[0]

    def evaluate_many(self, genomes: Sequence[Hashable]) -> list[Evaluation]:
        """The records of ``genomes``, in order. Seen ones are free; constraints are checked
        one by one; the new ones are scored together, in parallel on the executor, and
        recorded in the order proposed. When the budget, the stall limit or the space runs
        out, what was queued is still scored and recorded, then BudgetExhausted is raised."""
        out: list[Evaluation | None] = [None] * len(genomes)
        queue: dict[Hashable, list[int]] = {}
        stop: str | None = None
        for position, genome in enumerate(genomes):
            self.proposals += 1
            known = self._memo.get(genome)
            if known is not None or genome in queue:
                if known is not None:
                    out[position] = known
                else:
                    queue[genome].append(position)
                stop = self._repeat(len(queue))
                if stop:
                    break
                continue
            stop = self._budget_spent(len(queue))
            if stop:
                break
            t0 = self.clock()
            reason = self._violation(genome)
            if reason is not None:
                spent = self.clock() - t0
                self._account(spent, spent)
                out[position] = self._record(genome, "rejected", {}, spent, reason)
                stop = self._repeat(len(queue))
                if stop:
                    break
                continue
            queue[genome] = [position]
            self._stall = 0
        for genome, record in zip(queue, self._score(list(queue)), strict=True):
            for position in queue[genome]:
                out[position] = record
        if stop is not None:
            raise BudgetExhausted(stop)
        return out  # type: ignore[return-value]

    def _score(self, genomes: list[Hashable]) -> list[Evaluation]:
        """Score new candidates: one by one, or as one parallel batch on the executor (whose
        wall time is then the search time it costs)."""
        parallel = self.executor is not None and hasattr(self.score_fn, "score_many")
        if not parallel or not genomes:
            return [self._score_one(genome) for genome in genomes]
        t0 = self.clock()
        results = dict(self.score_fn.score_many(genomes, self.executor))  # type: ignore[attr-defined]
        share = (self.clock() - t0) / len(genomes)
        records = []
        for position, genome in enumerate(genomes):
            self._account(share, share)
            records.append(self._from_scores(genome, results[position]))
        return records

    def _score_one(self, genome: Hashable) -> Evaluation:
        t0 = self.clock()
        try:
            scores = self.score_fn(genome)
        except Exception as exc:  # noqa: BLE001 -- a candidate's failure never stops the search
            wall = self.clock() - t0
            self._account(wall, wall)
            self.evaluations += 1
            return self._record(genome, "failed", {}, wall, f"{type(exc).__name__}: {exc}")
        wall = self.clock() - t0
        self._account(wall, _seconds(scores))
        return self._from_scores(genome, scores)

    def _from_scores(self, genome: Hashable, scores: ArchScores) -> Evaluation:
        self.evaluations += 1
        errors = [f"{n}: {v.error}" for n, v in scores.values.items() if v.error]
        error = scores.error or ("; ".join(errors) if errors else None)
        values = {n: v.value for n, v in scores.values.items()}
        status = "failed" if error else "ok"
        return self._record(genome, status, values, _seconds(scores), error, index=scores.index)

    def best(self) -> Evaluation | None:
        """The best scored candidate so far, by fitness over the whole history."""
        scored = [e for e in self.history if e.ok]
        return _argbest(self.fitness, scored)

    def _account(self, wall: float, seconds: float) -> None:
        self._scoring_wall += wall
        self._scoring_seconds += seconds

    def _repeat(self, queued: int) -> str | None:
        """Count a proposal that brought nothing new; why to stop, if it is time."""
        self._stall += 1
        if self.space.size is not None and len(self._memo) + queued >= self.space.size:
            return f"every one of the {self.space.size} architectures was seen"
        if self._stall >= self.budget.stall:
            return f"stalled: {self._stall} proposals in a row were seen before or rejected"
        return None

    def _budget_spent(self, queued: int) -> str | None:
        b = self.budget
        if b.evaluations is not None and self.evaluations + queued >= b.evaluations:
            return f"evaluation budget of {b.evaluations} spent"
        if b.seconds is not None and self.elapsed >= b.seconds:
            return f"time budget of {b.seconds:g} s spent"
        return None

    def _violation(self, genome: Hashable) -> str | None:
        return None if self.checker is None else self.checker(genome)

    def _record(
        self,
        genome: Hashable,
        status: str,
        values: dict[str, float],
        seconds: float,
        error: str | None,
        index: int | None = None,
    ) -> Evaluation:
        if index is None and self.space.size is not None:
            index = self.space.index(genome)
        record = Evaluation(
            len(self.history),
            self.space.encode(genome),
            index,
            status,
            values,
            seconds,
            self.elapsed,
            error,
            genome,
        )
        self._memo[genome] = record
        self.history.append(record)
        if self.on_eval is not None:
            self.on_eval(record, self)
        return record


def _seconds(scores: ArchScores) -> float:
    return scores.build_seconds + sum(v.seconds for v in scores.values.values())


def _argbest(fitness: Fitness, records: Sequence[Evaluation]) -> Evaluation | None:
    """The record with the highest fitness within ``records`` (the earliest on ties)."""
    if not records:
        return None
    values = fitness([r.values for r in records])
    best = int(np.argmax(values))
    return records[best] if np.isfinite(values[best]) else None


def top_k(fitness: Fitness, records: Sequence[Evaluation], k: int) -> list[Evaluation]:
    """The ``k`` fittest of ``records``, fitness relative to ``records`` (stable on ties)."""
    values = fitness([r.values for r in records])
    return [records[i] for i in np.argsort(-values, kind="stable")[:k]]


@dataclass(frozen=True)
class SearchResult:
    """A finished search: its settings, full history, and why it stopped.

    ``best`` is the fittest scored candidate, fitness taken over the whole history (FreeREA's
    choice of the final answer); ``seconds`` is search time as the evaluator accounts it.
    """

    algorithm: str
    params: dict[str, Any]
    space: str
    fitness: Fitness
    budget: Budget
    seed: int
    history: list[Evaluation]
    stopped: str
    seconds: float
    wall_seconds: float
    proposals: int
    evaluations: int
    constraints: Constraints | None = None
    #: Architectures checked against the constraints, rejected, the rejection rate and the
    #: rejections per limit (None without constraints).
    budget_report: dict[str, Any] | None = None

    @property
    def scored(self) -> list[Evaluation]:
        return [e for e in self.history if e.ok]

    @property
    def best(self) -> Evaluation | None:
        return _argbest(self.fitness, self.scored)

    def final_fitness(self) -> dict[str, float]:
        """Fitness of every scored candidate relative to the whole history, by arch."""
        scored = self.scored
        values = self.fitness([e.values for e in scored])
        return dict(zip((e.arch for e in scored), values, strict=True))

    def best_so_far(self) -> list[Evaluation | None]:
        """After each history entry, the best scored candidate up to it."""
        out: list[Evaluation | None] = []
        scored: list[Evaluation] = []
        best: Evaluation | None = None
        for record in self.history:
            if record.ok:
                scored.append(record)
                best = _argbest(self.fitness, scored)
            out.append(best)
        return out


class Searcher(abc.ABC):
    """A search algorithm. Constructor keywords are its parameters, stored unchanged
    (sklearn style) and checked by :meth:`validate` when it runs."""

    name: str = ""

    def params(self) -> dict[str, Any]:
        """The constructor parameters and their values (for run manifests)."""
        keys = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k) for k in keys if k != "self"}

    def validate(self) -> None:  # noqa: B027 -- an optional hook, like Optuna's after_trial
        """Raise a ZeroNASError naming a bad parameter."""

    def _require(self, name: str, ok: bool, allowed: str) -> None:
        if not ok:
            raise ZeroNASError(
                f"The {name!r} parameter of searcher {self.name!r} must be {allowed}. "
                f"Got {getattr(self, name)!r} instead."
            )

    @abc.abstractmethod
    def _search(self, space: SearchSpace, evaluator: Evaluator, rng: np.random.Generator) -> None:
        """Propose architectures through ``evaluator.evaluate`` until the budget stops it."""

    def run(
        self,
        space: SearchSpace,
        score_fn: ScoreFn,
        fitness: Fitness,
        budget: Budget,
        seed: int = 0,
        constraints: Constraints | None = None,
        dataset: DatasetSpec | None = None,
        on_eval: OnEval | None = None,
        executor: Executor | None = None,
    ) -> SearchResult:
        """Search ``space`` with a seeded RNG; the same seed and number of workers give the
        same history, whatever the executor."""
        self.validate()
        rng = np.random.default_rng(seed)
        evaluator = Evaluator(
            space, score_fn, fitness, budget, constraints, dataset, on_eval, executor=executor
        )
        proposing = space
        if evaluator.checker is not None:  # propose only architectures within the budgets
            proposing = BudgetedSpace(space, evaluator.checker)
        try:
            self._search(proposing, evaluator, rng)
            stopped = "finished"
        except (BudgetExhausted, NoArchitectureWithinBudget) as stop:
            stopped = str(stop)
        return SearchResult(
            self.name,
            self.params(),
            space.name,
            fitness,
            budget,
            seed,
            evaluator.history,
            stopped,
            evaluator.elapsed,
            evaluator.wall_seconds,
            evaluator.proposals,
            evaluator.evaluations,
            constraints,
            evaluator.checker.describe() if evaluator.checker is not None else None,
        )


SEARCHERS: Registry[Callable[..., Searcher]] = Registry("search algorithm")


def register_searcher(name: str, **preset: Any) -> Callable[[type[Searcher]], type[Searcher]]:
    """Class decorator: register ``cls`` as ``name``, optionally with preset parameters
    (a named variant, e.g. ``rea-seed001``). Stack it to register several names."""

    def decorate(cls: type[Searcher]) -> type[Searcher]:
        def factory(**params: Any) -> Searcher:
            searcher = cls(**(preset | params))
            searcher.name = name
            return searcher

        factory.__doc__ = cls.__doc__
        factory.searcher_class = cls  # type: ignore[attr-defined]
        factory.preset = preset  # type: ignore[attr-defined]
        SEARCHERS.add(name, factory)
        return cls

    return decorate


def _coerce(key: str, value: Any, default: Any, owner: str) -> Any:
    """A CLI string as the type of the parameter's default (int, float, bool or None)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if text.lower() == "none":
            return None
        if isinstance(default, int) or default is None:
            try:
                return int(text)
            except ValueError:
                if default is not None:
                    raise
                return float(text)
        if isinstance(default, float):
            return float(text)
    except ValueError as exc:
        kind = type(default).__name__ if default is not None else "number or none"
        raise ZeroNASError(
            f"The {key!r} parameter of searcher {owner!r} must be a {kind}, got {value!r}"
        ) from exc
    return text


def get_searcher(name: str, **params: Any) -> Searcher:
    """An instance of searcher ``name``; ``params`` override its defaults (strings from the
    command line are converted to the parameter's type). Unknown keys raise, naming the
    valid ones."""
    factory = SEARCHERS.get(name)
    signature = inspect.signature(factory.searcher_class.__init__).parameters  # type: ignore[attr-defined]
    valid = [k for k in signature if k != "self"]
    converted = {}
    for key, value in params.items():
        if key not in valid:
            raise ZeroNASError(
                f"Unknown parameter {key!r} for searcher {name!r}. Valid: {', '.join(valid)}"
            )
        converted[key] = _coerce(key, value, signature[key].default, name)
    return factory(**converted)


def list_searchers(pattern: str = "*") -> list[str]:
    return SEARCHERS.names(pattern)
