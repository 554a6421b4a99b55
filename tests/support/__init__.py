"""Real servers on loopback for the tests (Dovecot IMAP)."""
