"""Interrupting training at a chosen update, as Ctrl-C would, to test what survives it."""

from __future__ import annotations

from collections.abc import Callable

from harness.methods.base import Method


def ctrl_c_after_update(monkeypatch, update: int) -> Callable[[], None]:
    """Make every training run raise KeyboardInterrupt right after optimizer update `update`;
    returns a function that undoes it."""
    real_after_update = Method.after_update

    def interrupted(self, model, done):
        real_after_update(self, model, done)
        if done == update:
            raise KeyboardInterrupt  # what Ctrl-C does mid-training

    monkeypatch.setattr(Method, "after_update", interrupted)
    return lambda: monkeypatch.setattr(Method, "after_update", real_after_update)
