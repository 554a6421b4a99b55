"""One validated settings object, loaded once from a TOML file plus DUNMAIL_* environment variables.

Order (later wins): built-in defaults < config file (DUNMAIL_CONFIG, else config/dunmail.toml when it
exists) < environment. Secrets (passwords, the signing key, OAuth tokens) are read only from the
environment; a secret found in the file is refused so it never lands in version control.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.domain import DEFAULT_MIN_CONFIDENCE
from worker.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "dunmail.toml"
SECRET_KEYS = frozenset({"smtp_password", "imap_password", "imap_oauth_token", "imap_oauth_client_secret",
                         "imap_oauth_refresh_token", "secret_key"})


class Settings(BaseSettings):
    """Every setting dunmail reads. `config/dunmail.example.toml` documents each one."""

    model_config = SettingsConfigDict(env_prefix="DUNMAIL_", extra="forbid", frozen=True)

    # storage and broker
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'dunmail.db'}"
    broker_url: str = "memory://"  # redis://127.0.0.1:6379/0, amqp://guest:guest@127.0.0.1:5672/, memory://
    # who we are
    company_name: str = "Example Trading Co."
    from_address: str = "billing@dunmail.example"
    from_name: str = "Accounts Receivable"
    reply_localpart: str = "ar"  # replies go to <reply_localpart>+<signed case token>@<reply domain>
    reply_domain: str | None = None  # defaults to the domain of from_address
    payment_instructions: str = ""
    secret_key: SecretStr | None = None  # signs reply tokens; environment only
    # outbound mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_rate_per_second: float = Field(default=0.0, ge=0)  # 0 = no limit
    # inbound mail
    imap_host: str | None = None
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_security: Literal["ssl", "starttls", "none"] = "ssl"
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_auth: Literal["password", "xoauth2"] = "password"
    imap_oauth_token: SecretStr | None = None  # a fixed access token (expires; for a quick test)
    imap_oauth_token_url: str | None = None  # renew tokens here (worker.inbound.oauth), e.g. Google's or Entra ID's
    imap_oauth_client_id: str | None = None
    imap_oauth_scope: str | None = None  # client credentials: e.g. https://outlook.office365.com/.default
    imap_oauth_client_secret: SecretStr | None = None  # environment only
    imap_oauth_refresh_token: SecretStr | None = None  # environment only
    imap_folder: str = "INBOX"
    imap_processed_folder: str | None = None  # move processed mail here; None = flag it \Seen only
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    imap_idle_renew_seconds: float = Field(default=25 * 60.0, gt=0, le=29 * 60.0)
    # intake of forwarded invoices
    intake_address: str | None = None
    intake_allowed_senders: list[str] = []  # addresses or "@domain" entries allowed to forward invoices
    intake_default_terms_days: int = Field(default=30, ge=0)
    intake_max_pdf_mb: float = Field(default=20.0, gt=0)  # bigger PDFs go to a person unread
    intake_max_pdf_pages: int = Field(default=50, ge=1)  # so do longer ones
    intake_pdf_memory_mb: int = Field(default=1024, ge=64)  # address-space cap of the PDF reader process
    intake_pdf_seconds: float = Field(default=10.0, gt=0)  # a PDF that takes longer goes to a person
    # the ladder
    policies_dir: Path = PROJECT_ROOT / "config" / "policies"
    default_policy: str = "default"
    templates_dir: Path = PROJECT_ROOT / "mail_templates"
    default_timezone: str = "UTC"
    default_country: str = "US"
    default_language: Literal["en", "ja"] = "en"
    consolidate_per_customer: bool = False  # several reminders due for one customer in a tick: one notice
    tick_interval_seconds: float = Field(default=60.0, gt=0)
    tick_batch_size: int = Field(default=500, ge=1)
    send_uncertain_after_seconds: float = Field(default=600.0, gt=0)
    # classification and trust (README: "Security: what is trusted and why")
    classify_min_confidence: float = Field(default=DEFAULT_MIN_CONFIDENCE, ge=0, le=1)
    authserv_id: str | None = None  # our receiving server's Authentication-Results id; unset = no header trusted
    promise_horizon_days: int = Field(default=60, ge=1, le=3660)  # later promised/return dates go to a person
    # the review app
    trusted_proxies: list[str] = []  # IPs / CIDR networks whose X-Forwarded-For is believed; none by default
    # logs
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'Asia/Tokyo')") from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or network (e.g. 10.0.0.0/8)") from exc
        return value

    @field_validator("default_country")
    @classmethod
    def _known_region(cls, value: str) -> str:
        from worker.ladder.calendar import normalise_region

        try:
            return normalise_region(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc

    @property
    def reply_domain_name(self) -> str:
        return self.reply_domain or self.from_address.rpartition("@")[2]

    @property
    def message_id_domain(self) -> str:
        return self.from_address.rpartition("@")[2]

    def secret_bytes(self) -> bytes:
        """The signing key; ConfigError when unset, because unsigned reply tokens could be forged."""
        if self.secret_key is None or not self.secret_key.get_secret_value():
            raise ConfigError(
                "DUNMAIL_SECRET_KEY is not set: set it to a long random string (it signs reply tokens)"
            )
        return self.secret_key.get_secret_value().encode()


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read the config file and the environment into one Settings; raise ConfigError naming the bad key."""
    path = _config_path(config_path)
    file_values = _read_file(path) if path else {}
    try:
        # Environment variables are read by pydantic-settings itself; file values sit below them.
        env_keys = {k[len("DUNMAIL_"):].lower() for k in os.environ if k.startswith("DUNMAIL_")}
        values = {k: v for k, v in file_values.items() if k not in env_keys}
        return Settings(**{**values, **overrides})  # explicit overrides (tests, the demo) win over both
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path)) from None


def _config_path(explicit: Path | str | None) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("DUNMAIL_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"settings file {path} does not exist (DUNMAIL_CONFIG or --config names it)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    flat = dict(data.pop("dunmail", {}), **data)
    leaked = sorted(SECRET_KEYS & flat.keys())
    if leaked:
        raise ConfigError(
            f"{path}: {', '.join(leaked)} must not be in the file; set "
            + ", ".join(f"DUNMAIL_{k.upper()}" for k in leaked)
            + " in the environment instead"
        )
    return flat


def _explain(exc: ValidationError, path: Path | None) -> str:
    where = f" in {path}" if path else ""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "settings"
        lines.append(f"{key}{where} (or DUNMAIL_{key.upper().replace('.', '__')}): {err['msg']}")
    return "bad settings:\n  " + "\n  ".join(lines)
