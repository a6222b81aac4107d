"""Rulesets: the condition language, TOML positions, extends, and loading a ruleset into compiled rules."""
