"""Model families: each turns sentences into per-frame probabilities, and saves without pickle."""

from __future__ import annotations

from models.families.base import Family, family_class, family_names

__all__ = ["Family", "family_class", "family_names"]
