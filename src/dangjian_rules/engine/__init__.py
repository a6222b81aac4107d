"""The engine: one subject's evaluation, verdicts across subjects, and the ways of running them."""
