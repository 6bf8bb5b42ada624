"""The searcher protocol and its registry.

Call order: :meth:`Searcher.run` builds an :class:`~zeronas.search.evaluator.Evaluator` for
the :class:`~zeronas.search.problem.SearchProblem` and calls the algorithm's
``_search(space, evaluator, rng)``, which proposes architectures through
``evaluator.evaluate_many`` until that raises
:class:`~zeronas.search.problem.BudgetExhausted` (or the algorithm finishes by itself). The
evaluator owns what algorithms must not re-implement (de-duplication, limits, failures,
budgets, search time, history). Searchers are plug-ins: one module of
:mod:`zeronas.search.algorithms` each, or an entry point ``zeronas.searchers``.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from zeronas.errors import ZeroNASError
from zeronas.execution.base import Executor
from zeronas.hardware.limits import LimitedSpace, NoArchitectureWithinLimits
from zeronas.params import keyword_defaults, renamed_keys, resolve_parameters
from zeronas.registry import Registry
from zeronas.search.evaluator import Evaluator, OnEval
from zeronas.search.problem import Budget, BudgetExhausted, SearchProblem
from zeronas.search.result import SearchResult
from zeronas.spaces.base import SearchSpace

__all__ = ["SEARCHERS", "Searcher", "get_searcher", "list_searchers", "register_searcher"]


class Searcher(abc.ABC):
    """A search algorithm. Constructor keywords are its parameters, stored unchanged
    (sklearn style) and checked by :meth:`validate` when it runs."""

    name: str = ""
    #: old parameter name -> what it is called now (the old spelling keeps working)
    renamed_parameters: dict[str, str] = {}

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
        problem: SearchProblem,
        budget: Budget,
        seed: int = 0,
        *,
        on_eval: OnEval | None = None,
        executor: Executor | None = None,
    ) -> SearchResult:
        """Search ``problem`` within ``budget`` with an RNG seeded ``seed``; the same seed and
        number of workers give the same history, whatever the executor. ``on_eval``: called
        after each new candidate; ``executor``: scores candidates in parallel."""
        self.validate()
        rng = np.random.default_rng(seed)
        evaluator = Evaluator(problem, budget, on_eval, executor)
        proposing = problem.space
        if evaluator.checker is not None:  # propose only architectures within the limits
            proposing = LimitedSpace(problem.space, evaluator.checker)
        try:
            self._search(proposing, evaluator, rng)
            stopped = "finished"
        except (BudgetExhausted, NoArchitectureWithinLimits) as stop:
            stopped = str(stop)
        return SearchResult(
            self.name,
            self.params(),
            problem.space.name,
            problem.fitness,
            budget,
            seed,
            evaluator.history,
            stopped,
            evaluator.elapsed,
            evaluator.wall_seconds,
            evaluator.proposals,
            evaluator.evaluations,
            problem.limits,
            evaluator.checker.describe() if evaluator.checker is not None else None,
            objectives=problem.objectives,
            cost_model=evaluator.cost_model,
        )


SEARCHERS: Registry[Callable[..., Searcher]] = Registry(
    "search algorithm", "zeronas.search.algorithms", "zeronas.searchers"
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
    cls = factory.searcher_class  # type: ignore[attr-defined]
    params = renamed_keys(params, cls.renamed_parameters, f"searcher {name!r}")
    defaults = keyword_defaults(cls.__init__, positional=1)
    searcher = factory(**resolve_parameters(params, defaults, f"searcher {name!r}", fill=False))
    searcher.validate()  # its parameters, also against each other, before any candidate
    return searcher


def list_searchers(pattern: str = "*") -> list[str]:
    return SEARCHERS.names(pattern)
