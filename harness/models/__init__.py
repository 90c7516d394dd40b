"""Where weights come from (sources) and how a task's head goes on top (heads, load)."""

from harness.models.gguf import cache_root
from harness.models.packaged import MODEL_ALIASES, PackagedModel
from harness.models.sources import ModelSource, is_hub_id, resolve_model

__all__ = ["MODEL_ALIASES", "ModelSource", "PackagedModel", "cache_root", "is_hub_id", "resolve_model"]
