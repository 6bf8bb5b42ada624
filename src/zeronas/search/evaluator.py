"""The one evaluation loop every searcher shares.

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

import time
from collections.abc import Callable, Hashable, Sequence

from zeronas.execution.base import Executor
from zeronas.hardware.costs import CostModel
from zeronas.hardware.limits import LimitChecker
from zeronas.scoring.records import ArchScores, failure_text
from zeronas.scoring.sources import ScoreSource
from zeronas.search.problem import Budget, BudgetExhausted, SearchProblem
from zeronas.search.result import Evaluation, best_of

__all__ = ["Evaluator", "OnEval"]

OnEval = Callable[["Evaluation", "Evaluator"], None]


class Evaluator:
    """The shared loop state of one search run (see the module docstring)."""

    def __init__(
        self,
        problem: SearchProblem,
        budget: Budget,
        on_eval: OnEval | None = None,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.perf_counter,
        checker: LimitChecker | None = None,
    ) -> None:
        limits, dataset = problem.limits, problem.dataset
        if checker is None and limits is not None and limits.active:
            checker = LimitChecker(limits, problem.space, dataset)  # type: ignore[arg-type]
        self.checker = checker
        #: Costs every scored candidate records (the objectives of a multi-objective search).
        self.costs = problem.objectives
        self.cost_model: CostModel | None = None
        if dataset is not None:
            table = limits.latency_table if limits is not None else None
            self.cost_model = checker.model if checker else CostModel(problem.space, dataset, table)
        self.problem = problem
        self.space, self.fitness, self.budget = problem.space, problem.fitness, budget
        self.score_fn: ScoreSource = problem.scores  # type: ignore[assignment]
        self.limits, self.dataset, self.on_eval, self.clock = limits, dataset, on_eval, clock
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
        return best_of(self.fitness, scored)

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
        if index is None:
            index = self.space.known_index(genome)
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
