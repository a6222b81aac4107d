"""Helpers for testing rulesets and plugins (hypothesis strategies live in ``strategies``)."""
