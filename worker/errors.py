"""The one error tree of dunmail.

    DunmailError                      root: anything dunmail raises on purpose
    ├── ConfigError                   a setting is missing or wrong; fix config/ or DUNMAIL_* and restart
    ├── TransientError                try again later (SMTP/IMAP/DB hiccup); actors retry these
    │   ├── SendTransientError        the SMTP server said 4xx or the connection dropped before DATA
    │   └── MailboxTransientError     the IMAP connection dropped or timed out
    └── PermanentError                retrying will not help: a person must look
        ├── SendPermanentError        the SMTP server refused the mail (5xx)
        ├── SendOutcomeUnknown        the connection died after DATA was sent: it may have gone out
        ├── MailParseError            a mail could not be parsed; it is kept raw and sent to review
        ├── IntakeError               a forwarded invoice could not be read (why is in the message)
        ├── ImportRowError            one CSV row is invalid (row number and reason in the message)
        └── NotFound                  a case, invoice or message id does not exist
"""


class DunmailError(Exception):
    """Root of every error dunmail raises on purpose."""


class ConfigError(DunmailError):
    """A setting is missing or invalid; the message names the key and what is expected."""


class TransientError(DunmailError):
    """A passing failure: the same call may succeed later."""


class SendTransientError(TransientError):
    """The SMTP server deferred the mail or the connection dropped before the data was sent."""


class MailboxTransientError(TransientError):
    """The IMAP connection dropped, timed out or the server is busy."""


class PermanentError(DunmailError):
    """Retrying will not help; the work goes in front of a person."""


class SendPermanentError(PermanentError):
    """The SMTP server refused the mail for good."""


class SendOutcomeUnknown(PermanentError):
    """The mail may or may not have been delivered; never resend it blindly."""


class MailParseError(PermanentError):
    """A mail could not be parsed; it is stored raw and queued for review."""


class IntakeError(PermanentError):
    """A forwarded invoice could not be read; the message says why."""


class ImportRowError(PermanentError):
    """One row of an import file is invalid."""

    def __init__(self, row: int, reason: str) -> None:
        super().__init__(f"row {row}: {reason}")
        self.row = row
        self.reason = reason


class NotFound(PermanentError):
    """A case, invoice, customer or message does not exist."""
