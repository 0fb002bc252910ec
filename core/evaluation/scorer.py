"""`Scorer`, and `@scorer` to turn a function into one (MLflow's `mlflow.genai.scorers.scorer`).

A scorer looks at one evaluated row. It may declare any of `inputs`, `outputs`, `expectations`
and `trace` as parameters; only those it declares are passed. It returns a bool, a number, a
string, a `Feedback`, a list of `Feedback`s, or None (no verdict).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any, overload

from core.source_code import source_of

#: What a scorer can ask for, by parameter name.
SCORER_ARGUMENTS = ("inputs", "outputs", "expectations", "trace")
#: Aggregations a scorer may ask for besides the mean (MLflow's names).
AGGREGATIONS = ("min", "max", "mean", "median", "variance", "p90")


class Scorer:
    """A named check of one evaluated row; subclasses implement `__call__(**arguments)`.

    `parameters` says which of `SCORER_ARGUMENTS` the scorer receives; `aggregations` which
    run metrics (`<name>/<aggregation>`) its numeric values produce.
    """

    parameters: frozenset[str] = frozenset(SCORER_ARGUMENTS)

    def __init__(self, name: str, aggregations: Sequence[str] | None = None) -> None:
        if not name or not name.strip():
            raise ValueError("A scorer needs a name.")
        unknown = [a for a in aggregations or () if a not in AGGREGATIONS]
        if unknown:
            raise ValueError(f"Unknown aggregation(s) {unknown}: use {', '.join(AGGREGATIONS)}.")
        self.name = name
        self.aggregations: tuple[str, ...] = tuple(aggregations or ("mean",))

    def __call__(self, **arguments: Any) -> Any:
        raise NotImplementedError

    def run(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> Any:
        """Score one row, passing only the arguments this scorer declares."""
        offered = {"inputs": inputs, "outputs": outputs, "expectations": expectations}
        offered["trace"] = trace
        return self(**{k: v for k, v in offered.items() if k in self.parameters})

    def definition(self) -> dict[str, Any]:
        """What identifies this scorer's logic; its digest is recorded with every score."""
        return {"name": self.name, "class": _source(type(self)), "fields": _fields(self)}

    @property
    def digest(self) -> str:
        text = json.dumps(self.definition(), sort_keys=True, default=str)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class FunctionScorer(Scorer):
    """A scorer made from a function by `@scorer`; calling it calls the function."""

    def __init__(
        self,
        function: Callable[..., Any],
        name: str | None = None,
        aggregations: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name or str(getattr(function, "__name__", "scorer")), aggregations)
        self.function = function
        self.parameters = _declared(function)
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def __call__(self, *args: Any, **arguments: Any) -> Any:
        return self.function(*args, **arguments)

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "source": _source(self.function)}


@overload
def scorer(function: Callable[..., Any]) -> FunctionScorer: ...


@overload
def scorer(
    function: None = None,
    *,
    name: str | None = None,
    aggregations: Sequence[str] | None = None,
) -> Callable[[Callable[..., Any]], FunctionScorer]: ...


def scorer(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    aggregations: Sequence[str] | None = None,
) -> FunctionScorer | Callable[[Callable[..., Any]], FunctionScorer]:
    """Make a scorer of a function: `@scorer` or `@scorer(name="...", aggregations=[...])`."""

    def decorate(target: Callable[..., Any]) -> FunctionScorer:
        return FunctionScorer(target, name=name, aggregations=aggregations)

    return decorate(function) if function is not None else decorate


def as_scorer(candidate: Scorer | Callable[..., Any]) -> Scorer:
    """A `Scorer` as is; a plain function is wrapped as `@scorer` would."""
    if isinstance(candidate, Scorer):
        return candidate
    if callable(candidate):
        return FunctionScorer(candidate)
    raise TypeError(f"{candidate!r} is not a scorer: use @core.scorer or a built-in scorer.")


def _declared(function: Callable[..., Any]) -> frozenset[str]:
    """The scorer arguments `function` takes (all of them when it takes `**kwargs`)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return frozenset(SCORER_ARGUMENTS)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return frozenset(SCORER_ARGUMENTS)
    return frozenset(p.name for p in parameters if p.name in SCORER_ARGUMENTS)


def _source(target: Any) -> str:
    return source_of(target) or str(getattr(target, "__qualname__", repr(target)))


def _fields(instance: Scorer) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}
