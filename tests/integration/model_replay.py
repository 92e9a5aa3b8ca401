"""Replaying a sequence of the model-based test's steps exactly, against the real stack.

Random exploration (FEED_MODEL_RANDOM=1) prints a failing sequence with the ids of that run (users,
groups, posts); the same steps in another run meet other ids. A sequence is written here with
symbolic draws instead: U(i) is the machine's users[i], G(i) its i-th group made, P(i) its i-th post
made, Tup(...) a tuple of them; any other value is drawn as it is. Each draw must be one the rule's
strategy could draw (sampled_from), so a replay that drifts from what the rule allows fails loudly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Resolver = Callable[[Any], Any]
# (rule or initializer name, its arguments but data, the values its data.draw calls take, in order)
Step = tuple[str, dict[str, Any], Sequence[Any]]


def U(i: int) -> Resolver:
    return lambda machine: machine.users[i]


def G(i: int) -> Resolver:
    return lambda machine: sorted(machine.model.groups)[i]


def P(i: int) -> Resolver:
    return lambda machine: sorted(machine.model.posts)[i]


def Tup(*parts: Any) -> Resolver:
    return lambda machine: tuple(resolve(machine, part) for part in parts)


def resolve(machine: Any, value: Any) -> Any:
    return value(machine) if callable(value) else value


class ReplayedData:
    """Stands in for hypothesis' DataObject: each draw takes the next planned value."""

    def __init__(self, machine: Any, values: Sequence[Any]) -> None:
        self._machine = machine
        self._values = list(values)

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        assert self._values, f"the replay planned no value for the draw {label or strategy!r}"
        value = resolve(self._machine, self._values.pop(0))
        elements = getattr(strategy, "elements", None)
        assert elements is None or value in elements, f"{label or 'draw'} {value!r} is not among {list(elements)}"
        return value

    def done(self) -> None:
        assert not self._values, f"planned draws left over: {self._values}"


def replay(machine: Any, steps: Sequence[Step]) -> None:
    """Run the steps on a fresh machine as hypothesis would (the invariant after each), then its teardown."""
    try:
        for name, kwargs, draws in steps:
            data = ReplayedData(machine, draws)
            method = getattr(machine, name)
            method(data=data, **kwargs) if draws else method(**kwargs)
            data.done()
            machine.entries_noted()
    finally:
        machine.teardown()
