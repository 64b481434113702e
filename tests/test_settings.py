"""``PREUVES_*`` settings: defaults, the environment, overrides and errors that name the variable."""

from __future__ import annotations

import dataclasses

import pytest

from validator_core.settings import CoreSettings


def test_defaults():
    settings = CoreSettings()
    assert (settings.rules, settings.plugins, settings.disable_plugins, settings.extra_plugins) == (None, None, [], [])
    assert settings.load_entrypoints is True and settings.trace_plugins is False
    assert (settings.check_timeout_s, settings.worker_memory_mb, settings.workers, settings.worker_max_tasks) == (
        20.0, 2048, 0, 1000)
    assert (settings.isolation, settings.worker_start) == ("process", "forkserver")
    assert settings.worker_count() >= 1


def test_environment_is_read_in_any_case_and_keywords_win(monkeypatch, tmp_path):
    monkeypatch.setenv("PREUVES_WORKERS", "3")
    monkeypatch.setenv("preuves_check_timeout_s", "2.5")
    monkeypatch.setenv("PREUVES_LOAD_ENTRYPOINTS", "no")
    monkeypatch.setenv("PREUVES_DISABLE_PLUGINS", "logs, video,")
    monkeypatch.setenv("PREUVES_RULES", str(tmp_path / "r.toml"))
    settings = CoreSettings(workers=1)
    assert settings.workers == 1 and settings.check_timeout_s == 2.5 and settings.load_entrypoints is False
    assert settings.disable_plugins == ["logs", "video"] and settings.rules == tmp_path / "r.toml"
    assert settings.plugin_config().block == ("logs", "video")


def test_an_empty_allowlist_loads_no_plugin(monkeypatch):
    monkeypatch.setenv("PREUVES_PLUGINS", "")
    assert CoreSettings().plugins == [] and CoreSettings().plugin_config().allow == ()


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PREUVES_WORKERS", "-1", "greater than or equal to 0"),
    ("PREUVES_WORKERS", "deux", "valid integer"),
    ("PREUVES_CHECK_TIMEOUT_S", "0", "greater than 0"),
    ("PREUVES_WORKER_MEMORY_MB", "32", "greater than or equal to 64"),
    ("PREUVES_TRACE_PLUGINS", "peut-être", "valid boolean"),
    ("PREUVES_ISOLATION", "thread", "'process' or 'inline'"),
])
def test_a_bad_variable_is_a_value_error_naming_it(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=rf"{variable}: .*{message}"):
        CoreSettings()


def test_keywords_are_checked_and_named_too():
    with pytest.raises(ValueError, match=r"worker_start: Input should be 'forkserver' or 'fork'"):
        CoreSettings(worker_start="spawn")
    with pytest.raises(TypeError, match="wokers"):
        CoreSettings(wokers=2)


def test_replace_keeps_the_rest_and_checks_the_change(monkeypatch):
    monkeypatch.setenv("PREUVES_CHECK_TIMEOUT_S", "7")
    settings = CoreSettings(worker_start="fork")
    smaller = dataclasses.replace(settings, workers=1)
    assert (smaller.workers, smaller.check_timeout_s, smaller.worker_start) == (1, 7.0, "fork")
    with pytest.raises(ValueError, match="workers"):
        dataclasses.replace(settings, workers=-1)


def test_http_settings_extend_the_engine_ones(monkeypatch, tmp_path):
    from api.settings import ApiSettings

    monkeypatch.setenv("PREUVES_API_KEYS", "clé-1,,clé-2")
    monkeypatch.setenv("PREUVES_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1")
    monkeypatch.setenv("PREUVES_WORKERS", "2")
    settings = ApiSettings(tmp_dir=tmp_path)
    assert [key.get_secret_value() for key in settings.api_keys] == ["clé-1", "clé-2"] and settings.auth_enabled
    assert settings.trusted_proxies == ["10.0.0.0/8", "192.168.1.1"] and settings.workers == 2
    assert settings.upload_dir() == tmp_path and settings.port == 8000
    monkeypatch.setenv("PREUVES_TRUSTED_PROXIES", "10.0.0.300")
    with pytest.raises(ValueError, match=r"PREUVES_TRUSTED_PROXIES: '10.0.0.300' does not appear"):
        ApiSettings()
    monkeypatch.setenv("PREUVES_TRUSTED_PROXIES", "")
    with pytest.raises(ValueError, match=r"PREUVES_DOSSIER_MAX_FILES: .*less than or equal to 250"):
        monkeypatch.setenv("PREUVES_DOSSIER_MAX_FILES", "300")
        ApiSettings()
