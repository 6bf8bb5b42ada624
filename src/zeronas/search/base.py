"""The searcher protocol, its registry, and the one evaluation loop every searcher shares.

Call order: :meth:`Searcher.run` builds an :class:`Evaluator` and calls the algorithm's
``_search(space, evaluator, rng)``, which proposes architectures with ``evaluator.evaluate``
until that raises :class:`BudgetExhausted` (or the algorithm finishes by itself). The
evaluator owns everything algorithms must not re-implement:

* de-duplication: an architecture seen before returns its first record and costs nothing;
* hard limits, checked before any proxy runs (rejected candidates are recorded);
* failures: a candidate whose build or proxy raised, or gave NaN/+inf, is recorded with its
  error and gets fitness -inf; the search goes on;
* the budget, in evaluations (candidates scored, failed ones included) and/or seconds;
* search time, one rule with or without workers: loop overhead (wall time outside scoring)
  + Σ over new candidates of its scoring seconds (as measured, or as recorded by the score
  store or a precomputed table: FreeREA's accounting) / the number of workers. With one
  worker that is the time a serial run takes; with k it is the ideal k-way parallel time,
  so ``--seconds`` budgets and reported times do not depend on the executor or the cache;
  the wall time is reported beside it;
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

from zeronas.costs import CostModel, check_costs
from zeronas.datasets import DatasetSpec
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.executors import Executor
from zeronas.fitness import Fitness
from zeronas.limits import (
    LimitChecker,
    LimitedSpace,
    Limits,
    NoArchitectureWithinLimits,
)
from zeronas.params import keyword_defaults, resolve_parameters
from zeronas.records import failure_text
from zeronas.registry import Registry
from zeronas.scoring import ArchScores, ScoreSource, as_source
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

ScoreFn = ScoreSource | Callable[[Hashable], ArchScores]
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
            raise ParameterError("evaluations", "Budget", "set, or seconds set", None)
        if self.evaluations is not None and self.evaluations < 1:
            raise ParameterError("evaluations", "Budget", "an integer >= 1", self.evaluations)
        if self.seconds is not None and not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ParameterError("seconds", "Budget", "a positive number", self.seconds)
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
    #: Hardware costs of a multi-objective search (:mod:`zeronas.costs`), by cost name.
    costs: dict[str, float] = field(default_factory=dict)

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
        limits: Limits | None = None,
        dataset: DatasetSpec | None = None,
        on_eval: OnEval | None = None,
        clock: Callable[[], float] = time.perf_counter,
        executor: Executor | None = None,
        checker: LimitChecker | None = None,
        costs: Sequence[str] = (),
    ) -> None:
        if ((limits is not None and limits.active) or costs) and dataset is None:
            raise ZeroNASError("limits and costs need the dataset (class count and input shape)")
        if checker is None and limits is not None and limits.active:
            checker = LimitChecker(limits, space, dataset)  # type: ignore[arg-type]
        self.checker = checker
        #: Costs every scored candidate records (the objectives of a multi-objective search).
        self.costs = check_costs(costs)
        self.cost_model: CostModel | None = None
        if dataset is not None:
            table = limits.latency_table if limits is not None else None
            self.cost_model = checker.model if checker else CostModel(space, dataset, table)
        self.space, self.fitness, self.budget = space, fitness, budget
        self.score_fn = as_source(space, score_fn)
        self.limits, self.dataset, self.on_eval, self.clock = (
            limits,
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
        """The records of ``genomes``, in order. Seen ones are free; limits are checked
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
        """Score new candidates together, in parallel on the executor if there is one, and
        account each by the search-time rule (module docstring)."""
        if not genomes:
            return []
        t0 = self.clock()
        results = dict(self.score_fn.score_many(genomes, self.executor))
        share = (self.clock() - t0) / len(genomes)
        records = []
        for position, genome in enumerate(genomes):
            scores = results[position]
            t1 = self.clock()
            costs, failure = self._costs(genome, scores)
            spent = self.clock() - t1  # a measured latency is part of the candidate's cost
            self._account(share + spent, scores.seconds / self.parallelism + spent)
            records.append(self._from_scores(genome, scores, costs, failure))
        return records

    def _costs(self, genome: Hashable, scores: ArchScores) -> tuple[dict[str, float], str | None]:
        """The candidate's costs (the search's objectives), or why they could not be had."""
        if not self.costs or scores.error or self.cost_model is None:
            return {}, None
        try:
            return self.cost_model(genome, self.costs), None
        except Exception as exc:  # noqa: BLE001 -- recorded as this candidate's failure
            return {}, f"costs: {failure_text(exc)}"

    def _from_scores(
        self, genome: Hashable, scores: ArchScores, costs: dict[str, float], failure: str | None
    ) -> Evaluation:
        self.evaluations += 1
        error = "; ".join(filter(None, [scores.failure(), failure])) or None
        values = {n: v.value for n, v in scores.values.items()}
        status = "failed" if error else "ok"
        return self._record(
            genome, status, values, scores.seconds, error, index=scores.index, costs=costs
        )

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
        costs: dict[str, float] | None = None,
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
            costs or {},
        )
        self._memo[genome] = record
        self.history.append(record)
        if self.on_eval is not None:
            self.on_eval(record, self)
        return record


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
    choice of the final answer), or, after a second stage (:mod:`zeronas.rerank`),
    the fittest of the ``reranked`` candidates by the ``final`` fitness over them;
    ``seconds`` is search time as the evaluator accounts it (both stages).
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
    limits: Limits | None = None
    #: Architectures checked against the limits, rejected, the rejection rate and the
    #: rejections per limit (None without limits).
    limit_report: dict[str, Any] | None = None
    #: The second stage: the candidates re-scored with every proxy, and their fitness.
    reranked: tuple[Evaluation, ...] = ()
    final: Fitness | None = None
    #: The costs a multi-objective search minimised beside fitness (:mod:`zeronas.costs`).
    objectives: tuple[str, ...] = ()
    #: The search's own cost model (what candidates cost; values remembered per arch).
    cost_model: CostModel | None = field(default=None, compare=False, repr=False)
    #: (cost, limit): the answer is the fittest front member within that budget
    #: (:meth:`pick_under`) instead of the fittest candidate.
    pick: tuple[str, float] | None = None

    @property
    def scored(self) -> list[Evaluation]:
        return [e for e in self.history if e.ok]

    @property
    def best(self) -> Evaluation | None:
        if self.pick is not None:
            return self.pick_under(*self.pick)
        if self.final is not None:
            return _argbest(self.final, [e for e in self.reranked if e.ok])
        return _argbest(self.fitness, self.scored)

    def best_fitness(self) -> float | None:
        """The answer's fitness, over the set it was chosen from."""
        best = self.best
        if best is None:
            return None
        if self.final is not None and self.pick is None:
            ok = [e for e in self.reranked if e.ok]
            return float(self.final([e.values for e in ok])[ok.index(best)])
        return float(self.final_fitness()[best.arch])

    def best_costs(self) -> dict[str, float] | None:
        """What the answer costs under the limits in force (None without an answer)."""
        best = self.best
        if best is None or self.cost_model is None:
            return None
        names = (self.limits or Limits()).cost_names()
        return {**self.cost_model(best.genome, names), **best.costs}

    def pareto(self) -> list[Evaluation]:
        """The scored candidates no other one beats in fitness (over the whole history) and
        every cost at once, in the order of the first cost (fittest first without costs)."""
        from zeronas.pareto import nondominated, objective_matrix

        scored = self.scored
        points = objective_matrix(self.fitness, scored, self.objectives)
        front = [scored[i] for i in np.flatnonzero(nondominated(points))]
        key = self.objectives[0] if self.objectives else None
        fitness = self.final_fitness()
        return sorted(front, key=lambda e: e.costs[key] if key else -fitness[e.arch])

    def pick_under(self, cost: str, limit: float) -> Evaluation | None:
        """The fittest member of the front whose ``cost`` is at most ``limit`` (None if no
        member is); ``cost`` must be one of the search's objectives."""
        if cost not in self.objectives:
            raise ZeroNASError(
                f"cannot pick under a {cost} budget: the search's objectives are "
                f"{', '.join(self.objectives) or 'none'}"
            )
        fitness = self.final_fitness()
        under = [e for e in self.pareto() if e.costs[cost] <= limit]
        return max(under, key=lambda e: fitness[e.arch], default=None)

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
        limits: Limits | None = None,
        dataset: DatasetSpec | None = None,
        on_eval: OnEval | None = None,
        executor: Executor | None = None,
        objectives: Sequence[str] = (),
    ) -> SearchResult:
        """Search ``space`` with a seeded RNG; the same seed and number of workers give the
        same history, whatever the executor. ``objectives``: costs every candidate records,
        which a multi-objective searcher minimises beside fitness."""
        self.validate()
        rng = np.random.default_rng(seed)
        evaluator = Evaluator(
            space, score_fn, fitness, budget, limits, dataset, on_eval, executor=executor,
            costs=objectives,
        )  # fmt: skip
        proposing = space
        if evaluator.checker is not None:  # propose only architectures within the limits
            proposing = LimitedSpace(space, evaluator.checker)
        try:
            self._search(proposing, evaluator, rng)
            stopped = "finished"
        except (BudgetExhausted, NoArchitectureWithinLimits) as stop:
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
            limits,
            evaluator.checker.describe() if evaluator.checker is not None else None,
            objectives=tuple(objectives),
            cost_model=evaluator.cost_model,
        )


SEARCHERS: Registry[Callable[..., Searcher]] = Registry(
    "search algorithm", "zeronas.search", "zeronas.searchers"
)


def register_searcher(
    name: str, renamed_from: str | None = None, **preset: Any
) -> Callable[[type[Searcher]], type[Searcher]]:
    """Class decorator: register ``cls`` as ``name``, optionally with preset parameters
    (a named variant, e.g. ``rea-cossu``). Stack it to register several names.
    ``renamed_from``: the variant's old name, which then says what it is called now."""

    def decorate(cls: type[Searcher]) -> type[Searcher]:
        def factory(**params: Any) -> Searcher:
            searcher = cls(**(preset | params))
            searcher.name = name
            return searcher

        factory.__doc__ = cls.__doc__
        factory.searcher_class = cls  # type: ignore[attr-defined]
        factory.preset = preset  # type: ignore[attr-defined]
        SEARCHERS.add(name, factory, module=cls.__module__)
        if renamed_from is not None:
            SEARCHERS.rename(renamed_from, name)
        return cls

    return decorate


def get_searcher(name: str, **params: Any) -> Searcher:
    """An instance of searcher ``name``; ``params`` override its defaults (strings from the
    command line are converted to the parameter's type). Unknown keys raise, naming the
    valid ones."""
    factory = SEARCHERS.get(name)
    defaults = keyword_defaults(factory.searcher_class.__init__, positional=1)  # type: ignore[attr-defined]
    return factory(**resolve_parameters(params, defaults, f"searcher {name!r}", fill=False))


def list_searchers(pattern: str = "*") -> list[str]:
    return SEARCHERS.names(pattern)
