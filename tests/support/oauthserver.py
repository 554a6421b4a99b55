"""A small OAuth 2.0 provider on a loopback port, for XOAUTH2 tests against a real IMAP server.

It issues access tokens at POST /token (refresh_token and client_credentials grants, RFC 6749) and
answers Dovecot's token validation at GET /tokeninfo?access_token=… (its oauth2 passdb). Tokens can be
revoked to play a token that expired early.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = "dunmail-test-client"
CLIENT_SECRET = "test-client-secret"
REFRESH_TOKEN = "test-refresh-token"


@dataclass
class OAuthProvider:
    username: str
    expires_in: int = 3600
    issued: list[str] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return f"{self.base}/token"

    @property
    def tokeninfo_url(self) -> str:
        return f"{self.base}/tokeninfo?access_token="

    def start(self) -> OAuthProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                provider.requests.append(form)
                status, body = provider.grant(form)
                self._answer(status, body)

            def do_GET(self) -> None:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                token = query.get("access_token", "")
                if token in provider.issued and token not in provider.revoked:
                    self._answer(200, {"username": provider.username, "active": "true"})
                else:
                    self._answer(401, {"error": "invalid_token"})

            def _answer(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        if form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "refresh_token" and form.get("refresh_token") != REFRESH_TOKEN:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        if grant == "client_credentials" and form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        if grant not in ("refresh_token", "client_credentials"):
            return 400, {"error": "unsupported_grant_type"}
        token = f"access-{len(self.issued) + 1}"
        self.issued.append(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
