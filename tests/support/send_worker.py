"""A delivery process for the kill test: delivers every pending reminder through real SMTP, one by one.

    python -m tests.support.send_worker DATABASE_URL SMTP_PORT
"""

from __future__ import annotations

import sys
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.engine import make_engine, transaction
from worker.db.models import Case, Mail
from worker.outbound.deliver import deliver
from worker.outbound.smtp import SMTPConfig, SMTPSender


def compose(session: Session, case: Case, mail: Mail) -> tuple[EmailMessage, str, list[str]]:
    msg = EmailMessage()
    msg["From"], msg["To"] = "billing@dunmail.example", "ap@customer.example"
    msg["Subject"] = f"Reminder {mail.stage} for case {case.id}"
    msg["Message-ID"] = f"<{mail.send_key}@dunmail.example>"
    msg["X-Dunmail-Send-Key"] = mail.send_key or ""
    msg.set_content("Please pay.")
    return msg, "billing@dunmail.example", ["ap@customer.example"]


def main(url: str, port: int) -> None:
    engine = make_engine(url)
    sender = SMTPSender(SMTPConfig("127.0.0.1", port))
    with transaction(engine) as session:
        ids = list(session.scalars(select(Mail.id).where(Mail.status == "pending").order_by(Mail.id)))
    for mail_id in ids:
        deliver(engine, mail_id, sender=sender, compose=compose)
    sender.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
