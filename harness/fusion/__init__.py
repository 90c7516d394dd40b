"""Combining recorded runs: output ensembles (`ensemble`) and, in merge.py, weight merging.

    from harness.fusion import ensemble, Selection
    outcome = ensemble(selection=Selection("sst2", "minilm", "lora", seeds=(0, 1, 2)), results="results")

A combination is recorded like a run (harness.fusion.record), so every view, compare and
regress read it. A new way to combine outputs is one entry in votes.COMBINERS.
"""

from harness.fusion.ensemble import FusionOutcome, ensemble
from harness.fusion.members import Selection
from harness.fusion.votes import COMBINERS

__all__ = ["COMBINERS", "FusionOutcome", "Selection", "ensemble"]
