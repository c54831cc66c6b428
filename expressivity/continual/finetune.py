"""Plain fine-tuning: each task trained in turn with the unregularised loss (the "c = 0" curve
of Zenke et al. 2017; catastrophic forgetting is what it shows)."""
from __future__ import annotations

from .base import Method

__all__ = ["FineTune"]


class FineTune(Method):
    """No consolidation: the network is simply trained on each new task."""

    name = "finetune"
