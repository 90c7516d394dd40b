"""Silence library chatter: the harness draws its own progress, and load reports would drown it."""

from __future__ import annotations

import logging


def quiet_libraries() -> None:
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # retry chatter when offline
