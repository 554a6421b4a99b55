"""dunmail: chases unpaid invoices by email.

Flow (imports follow it, never back):
    settings, errors, domain  <-  db.models  <-  ledger  <-  ladder / outbound / inbound / intake
    <-  services (plain functions)  <-  actors (dramatiq), cli, review (web)
"""

__version__ = "0.1.0"
