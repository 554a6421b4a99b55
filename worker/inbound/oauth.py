"""Access tokens for XOAUTH2 logins that stay valid: fetched from the provider's token endpoint and
renewed before they expire (Google and Microsoft hand out tokens that last an hour).

Two standard grants (RFC 6749): a refresh token (§6; an OAuth client authorised once for the mailbox,
as Gmail needs) or client credentials (§4.4; an app registration with access to the mailbox, as
Microsoft 365 offers). A fixed token from DUNMAIL_IMAP_OAUTH_TOKEN still works for a quick test.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from pydantic import SecretStr

from worker.errors import ConfigError, MailboxTransientError
from worker.settings import Settings

log = structlog.get_logger(__name__)
RENEW_BEFORE_SECONDS = 120.0  # renew this long before the token runs out
DEFAULT_LIFETIME_SECONDS = 3600.0  # when the endpoint does not say (expires_in is only RECOMMENDED)


@dataclass(frozen=True)
class OAuthClient:
    token_url: str
    client_id: str
    client_secret: str | None = None
    refresh_token: str | None = None
    scope: str | None = None

    def form(self) -> dict[str, str]:
        """The token request's form fields for the grant this client has."""
        fields = {"client_id": self.client_id}
        if self.client_secret:
            fields["client_secret"] = self.client_secret
        if self.refresh_token:
            fields.update(grant_type="refresh_token", refresh_token=self.refresh_token)
        else:
            fields["grant_type"] = "client_credentials"
        if self.scope:
            fields["scope"] = self.scope
        return fields


Fetch = Callable[[str, dict[str, str], float], dict[str, object]]


class TokenSource:
    """Hands out a current access token and fetches a new one when it is about to expire. Thread-safe."""

    def __init__(self, client: OAuthClient, *, timeout: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 fetch: Fetch | None = None) -> None:
        if not client.refresh_token and not client.client_secret:
            raise ConfigError("XOAUTH2 token renewal needs DUNMAIL_IMAP_OAUTH_REFRESH_TOKEN (an authorised client) "
                              "or DUNMAIL_IMAP_OAUTH_CLIENT_SECRET (client credentials)")
        self._client = client
        self._timeout = timeout
        self._clock = clock
        self._fetch = fetch or post_form
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._valid_until:
                self._renew()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the current token (the server refused it): the next token() fetches a new one."""
        with self._lock:
            self._token = None

    def _renew(self) -> None:
        answer = self._fetch(self._client.token_url, self._client.form(), self._timeout)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ConfigError(f"the OAuth token endpoint {self._client.token_url} answered without an access_token")
        try:
            seconds = float(answer.get("expires_in", DEFAULT_LIFETIME_SECONDS))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = DEFAULT_LIFETIME_SECONDS
        self._token = token
        self._valid_until = self._clock() + max(0.0, seconds - RENEW_BEFORE_SECONDS)
        log.info("oauth_token_renewed", lifetime_seconds=seconds)  # never the token itself


def token_source(settings: Settings) -> TokenSource | None:
    """The renewing token source the settings describe, or None (a password, or a fixed token)."""
    if settings.imap_auth != "xoauth2" or not settings.imap_oauth_token_url:
        return None
    if not settings.imap_oauth_client_id:
        raise ConfigError("imap_oauth_token_url is set but imap_oauth_client_id is not: set the OAuth client's id")
    url = urllib.parse.urlsplit(settings.imap_oauth_token_url)
    if url.scheme != "https" and url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"imap_oauth_token_url must be https (it carries the client secret): "
                          f"{settings.imap_oauth_token_url}")

    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value else None

    return TokenSource(OAuthClient(token_url=settings.imap_oauth_token_url, client_id=settings.imap_oauth_client_id,
                                   client_secret=secret(settings.imap_oauth_client_secret),
                                   refresh_token=secret(settings.imap_oauth_refresh_token),
                                   scope=settings.imap_oauth_scope))


def post_form(url: str, fields: dict[str, str], timeout: float) -> dict[str, object]:
    """POST a form to a token endpoint and read its JSON answer; errors say what to do."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        with exc:  # the error response holds the connection until closed
            error = _oauth_error(exc)
        if exc.code in (400, 401, 403):  # invalid_grant, invalid_client, …: waiting will not fix it
            raise ConfigError(f"the OAuth token endpoint {url} refused: {error}; authorise dunmail again and set "
                              "DUNMAIL_IMAP_OAUTH_REFRESH_TOKEN / DUNMAIL_IMAP_OAUTH_CLIENT_SECRET") from None
        raise MailboxTransientError(f"the OAuth token endpoint {url} failed: HTTP {exc.code} {error}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise MailboxTransientError(f"cannot reach the OAuth token endpoint {url}: {exc}") from None
    except ValueError:
        raise MailboxTransientError(f"the OAuth token endpoint {url} did not answer JSON") from None
    if not isinstance(answer, dict):
        raise MailboxTransientError(f"the OAuth token endpoint {url} did not answer a JSON object")
    return answer


def _oauth_error(exc: urllib.error.HTTPError) -> str:
    """RFC 6749 §5.2's error code and description, when the endpoint sent them."""
    try:
        body = json.loads(exc.read().decode("utf-8"))
    except (ValueError, OSError):
        return f"HTTP {exc.code}"
    if not isinstance(body, dict):
        return f"HTTP {exc.code}"
    return " — ".join(str(body[k]) for k in ("error", "error_description") if body.get(k)) or f"HTTP {exc.code}"
