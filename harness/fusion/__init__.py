"""Combining recorded runs: output ensembles (`ensemble`) and weight merging (`merge`).

    from harness.fusion import ensemble, Selection
    outcome = ensemble(selection=Selection("sst2", "minilm", "lora", seeds=(0, 1, 2)), results="results")

A combination is recorded like a run (harness.fusion.record), so every view, compare and
regress read it. A new way to combine outputs is one entry in votes.COMBINERS; a new way to
merge weights, one function in weights.MERGES.
"""

from harness.fusion.ensemble import FusionOutcome, ensemble
from harness.fusion.members import Selection
from harness.fusion.merge import merge
from harness.fusion.votes import COMBINERS

__all__ = ["COMBINERS", "FusionOutcome", "Selection", "ensemble", "merge"]
