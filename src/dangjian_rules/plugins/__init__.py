"""Plugins: hook specifications, the manager and registry, and the built-in plugins."""
