"""Settings: one validated object from the file plus DUNMAIL_* variables; secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.errors import ConfigError
from worker.settings import load_settings


def test_example_file_loads_with_its_documented_values() -> None:
    """The committed example is valid and its values reach the settings object."""
    s = load_settings(Path("config/dunmail.example.toml"))
    assert s.smtp_port == 8025
    assert s.default_policy == "default"
    assert s.classify_min_confidence == 0.8


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """DUNMAIL_SMTP_HOST wins over smtp_host in the file."""
    monkeypatch.setenv("DUNMAIL_SMTP_HOST", "smtp.internal")
    assert load_settings(Path("config/dunmail.example.toml")).smtp_host == "smtp.internal"


def test_bad_value_names_the_key_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad setting fails at start with the key, its variable and what was expected."""
    monkeypatch.setenv("DUNMAIL_SMTP_PORT", "not-a-port")
    with pytest.raises(ConfigError) as err:
        load_settings(Path("config/dunmail.example.toml"))
    assert "smtp_port" in str(err.value) and "DUNMAIL_SMTP_PORT" in str(err.value)


def test_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    """A password written into the settings file is refused, naming the variable to use instead."""
    f = tmp_path / "d.toml"
    f.write_text('smtp_password = "hunter2"\n')
    with pytest.raises(ConfigError, match="DUNMAIL_SMTP_PASSWORD"):
        load_settings(f)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    """A typo in a key is an error, not a silently ignored setting."""
    f = tmp_path / "d.toml"
    f.write_text('smtp_hots = "x"\n')
    with pytest.raises(ConfigError, match="smtp_hots"):
        load_settings(f)


def test_unknown_timezone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """default_timezone must be an IANA name."""
    monkeypatch.setenv("DUNMAIL_DEFAULT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="default_timezone"):
        load_settings(Path("config/dunmail.example.toml"))


def test_secret_key_is_required_to_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DUNMAIL_SECRET_KEY, asking for the signing key says what to set."""
    s = load_settings(Path("config/dunmail.example.toml"))
    with pytest.raises(ConfigError, match="DUNMAIL_SECRET_KEY"):
        s.secret_bytes()
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", "k" * 32)
    assert load_settings(Path("config/dunmail.example.toml")).secret_bytes() == b"k" * 32
