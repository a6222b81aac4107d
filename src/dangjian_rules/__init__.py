"""dangjian-rules: exact, explainable party-building scoring rules."""

from __future__ import annotations

__version__ = "0.1.0"
