"""XOAUTH2 with tokens that stay valid: fetched from a token endpoint, renewed before they expire, and
tried afresh once when the server refuses one — against a real Dovecot that validates each token."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot, available, free_port
from tests.support.oauthserver import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, OAuthProvider
from worker.errors import ConfigError, MailboxTransientError
from worker.inbound.mailbox import IMAPConfig, IMAPMailbox
from worker.inbound.oauth import OAuthClient, TokenSource, token_source
from worker.settings import load_settings

USER = "ar@dunmail.example"


@pytest.fixture
def provider() -> Iterator[OAuthProvider]:
    server = OAuthProvider(username=USER).start()
    yield server
    server.stop()


@pytest.fixture
def oauth_dovecot(provider: OAuthProvider) -> Iterator[Dovecot]:
    reason = available()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="dunmail-dovecot-oauth-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port(), user=USER, oauth_tokeninfo_url=provider.tokeninfo_url).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _client(provider: OAuthProvider, **changes: str) -> OAuthClient:
    fields = {"token_url": provider.token_url, "client_id": CLIENT_ID, "refresh_token": REFRESH_TOKEN, **changes}
    return OAuthClient(**fields)


def test_the_watcher_logs_in_with_a_fetched_token_and_gets_a_fresh_one_when_refused(
        provider: OAuthProvider, oauth_dovecot: Dovecot) -> None:
    """Dovecot checks every token with the provider; a token revoked before its time is replaced on the next
    connection without a person (one new token, then the login goes through)."""
    tokens = TokenSource(_client(provider))
    box = IMAPMailbox(IMAPConfig("127.0.0.1", oauth_dovecot.port, USER, security="none", tokens=tokens))
    box.connect()
    assert box.uidvalidity() > 0 and provider.issued == ["access-1"]
    box.close()
    provider.revoked.add("access-1")
    box.connect()
    assert box.uidvalidity() > 0 and provider.issued == ["access-1", "access-2"]
    box.close()


def test_a_wrong_client_is_refused_with_what_to_fix(provider: OAuthProvider, oauth_dovecot: Dovecot) -> None:
    """A refresh token the provider no longer accepts stops the watcher with the provider's reason and the
    variables to set, instead of retrying for ever."""
    tokens = TokenSource(_client(provider, refresh_token="revoked-refresh-token"))
    box = IMAPMailbox(IMAPConfig("127.0.0.1", oauth_dovecot.port, USER, security="none", tokens=tokens))
    with pytest.raises(ConfigError, match=r"invalid_grant.*DUNMAIL_IMAP_OAUTH_REFRESH_TOKEN"):
        box.connect()


def test_a_token_is_renewed_shortly_before_it_expires(provider: OAuthProvider) -> None:
    """An hour's token is reused for its life and renewed two minutes before its end, not per login."""
    now = [0.0]
    tokens = TokenSource(_client(provider), clock=lambda: now[0])
    assert tokens.token() == tokens.token() == "access-1"
    now[0] = 3600 - 121
    assert tokens.token() == "access-1"
    now[0] = 3600 - 119
    assert tokens.token() == "access-2" and len(provider.requests) == 2


def test_client_credentials_send_the_secret_and_scope(provider: OAuthProvider) -> None:
    """Microsoft 365's app-only access: client id, secret and the .default scope, no refresh token."""
    client = OAuthClient(provider.token_url, CLIENT_ID, client_secret=CLIENT_SECRET,
                         scope="https://outlook.office365.com/.default")
    assert TokenSource(client).token() == "access-1"
    assert provider.requests[-1] == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                     "grant_type": "client_credentials",
                                     "scope": "https://outlook.office365.com/.default"}


def test_an_unreachable_token_endpoint_is_a_transient_failure() -> None:
    """The watcher backs off and tries again when the provider cannot be reached."""
    tokens = TokenSource(OAuthClient(f"http://127.0.0.1:{free_port()}/token", CLIENT_ID, refresh_token="r"),
                         timeout=2)
    with pytest.raises(MailboxTransientError, match="cannot reach the OAuth token endpoint"):
        tokens.token()


def test_settings_describe_the_token_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets come from the environment; the endpoint must be https unless it is on this machine."""
    monkeypatch.setenv("DUNMAIL_IMAP_OAUTH_REFRESH_TOKEN", REFRESH_TOKEN)
    settings = load_settings(imap_auth="xoauth2", imap_oauth_token_url="https://oauth2.example/token",
                             imap_oauth_client_id=CLIENT_ID)
    assert isinstance(token_source(settings), TokenSource)
    assert token_source(load_settings(imap_auth="password")) is None
    with pytest.raises(ConfigError, match="must be https"):
        token_source(load_settings(imap_auth="xoauth2", imap_oauth_token_url="http://oauth2.example/token",
                                   imap_oauth_client_id=CLIENT_ID))
    with pytest.raises(ConfigError, match="imap_oauth_client_id"):
        token_source(load_settings(imap_auth="xoauth2", imap_oauth_token_url="https://oauth2.example/token"))
