"""Shared by the tests/<domain>/test_signals.py files."""

from blinker import Signal


def unconnected(module) -> list[str]:
    """The names of the signals declared in ``module`` that no receiver is connected to (fails on none declared)."""
    declared = [value for value in vars(module).values() if isinstance(value, Signal)]
    assert declared, f"{module.__name__} declares no signal"
    return [signal.name for signal in declared if not signal.receivers]
