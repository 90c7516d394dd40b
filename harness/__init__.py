"""harness: fine-tune, prompt and measure language models, and record every run."""

__version__ = "0.1.0"
