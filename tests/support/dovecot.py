"""A throwaway Dovecot IMAP server on a loopback port, for integration tests.

Started from Debian's dovecot-imapd with its own config, state and maildir under a temp dir, one
passwd-file user, plaintext login (loopback only). Running as root, mail is owned by `nobody` so
Dovecot accepts the uid; as another user, everything runs as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"


@dataclass
class Dovecot:
    root: Path
    port: int
    user: str = "ar@dunmail.example"
    password: str = "imap-test-password"
    oauth_tokeninfo_url: str | None = None  # also take XOAUTH2 logins, validated at this URL (+ token)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> Dovecot:
        _write_config(self)
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.process, self.root / "dovecot.log")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # the master shuts its children down on SIGTERM
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def kick(self) -> None:
        """Drop every client connection (what a server restart or a network blip does)."""
        subprocess.run([DOVEADM, "-c", str(self.config), "kick", self.user], capture_output=True, timeout=20)


def available() -> str | None:
    """None when Dovecot can run here, else the reason it cannot."""
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (scripts/services installs dovecot-imapd)"
    return None


def _owner() -> tuple[str, int, int]:
    pw = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    return pw.pw_name, pw.pw_uid, pw.pw_gid


def _write_config(server: Dovecot) -> None:
    root = server.root
    name, uid, gid = _owner()
    for sub in ("base", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chown(root / "mail", uid, gid)
    (root / "users").write_text(f"{server.user}:{{PLAIN}}{server.password}:{uid}:{gid}::{root / 'mail'}\n")
    oauth = ""
    if server.oauth_tokeninfo_url:
        (root / "oauth2.conf.ext").write_text(f"tokeninfo_url = {server.oauth_tokeninfo_url}\n"
                                              "username_attribute = username\nactive_attribute = active\n"
                                              "active_value = true\n")
        oauth = (f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                 f"  args = {root / 'oauth2.conf.ext'}\n}}")
    login_user = "dovenull" if os.geteuid() == 0 else name
    internal_user = "dovecot" if os.geteuid() == 0 else name
    server.config.write_text(f"""
base_dir = {root / 'base'}
state_dir = {root / 'state'}
log_path = {root / 'dovecot.log'}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login{' xoauth2 oauthbearer' if oauth else ''}
mail_location = maildir:{root / 'mail'}/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
first_valid_gid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
{oauth}
passdb {{
  driver = passwd-file
  args = {root / 'users'}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root / 'mail'}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {server.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
namespace inbox {{
  inbox = yes
  mailbox Processed {{
    auto = create
  }}
  mailbox Intake {{
    auto = create
  }}
}}
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited at start: {log.read_text() if log.exists() else '(no log)'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not listen on {port} within 15 s")
