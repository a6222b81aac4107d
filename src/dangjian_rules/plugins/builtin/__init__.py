"""Built-in plugins: the behaviour that ships with dangjian-rules, as plugins."""
