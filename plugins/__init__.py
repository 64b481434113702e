"""Built-in plugins: ordinary plugins, registered exactly like third-party ones.

Each module implements hooks from ``validator_core.hookspecs``; its plugin name is its module name.
"""

DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.video",
    "plugins.screenshot",
    "plugins.pdf_report",
    "plugins.report_link",
    "plugins.logs",
    "plugins.rem_catalogue",
)
