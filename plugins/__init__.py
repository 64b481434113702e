"""Built-in plugins: ordinary plugins, registered exactly like third-party ones.

Each module implements hooks from ``validator_core.hookspecs`` and is declared as an entry point in
group ``preuves`` of this distribution (``pyproject.toml``); its plugin name is the entry point's name,
which is its module name.
"""
