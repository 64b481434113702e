"""Small inline plugins used by the tests (loaded by import path through ``PluginConfig.extra``)."""
