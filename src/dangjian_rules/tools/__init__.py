"""Tools built on the library: ruleset test cases, check formats, diff, fuzz, generate, plugin template."""
