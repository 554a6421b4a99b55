"""Time the intake confirm page and its page picture (each draws in a fresh capped child process).

    .venv/bin/python scripts/measure_confirm_page.py          # SQLite in a temp folder, 9 requests each

Prints the median and the slowest of GET /items/{id} (page count) and GET /items/{id}/page/1.png.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.intake_seed import forward_pdf
from tests.e2e.seed import seed
from tests.test_review_http import login
from worker.db.engine import make_engine, session_factory
from worker.db.models import Base
from worker.logs import configure_logging
from worker.review.app import create_app
from worker.settings import load_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def main(runs: int = 9) -> None:
    configure_logging(level="warning")
    folder = tempfile.mkdtemp()
    engine = make_engine(f"sqlite:///{folder}/measure.db")
    Base.metadata.create_all(engine)
    with session_factory(engine)() as session:
        seed(session)
        session.commit()
    item = forward_pdf(engine)
    app = create_app(load_settings(database_url=str(engine.url), secret_key="measure"), secure_cookies=False,
                     engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        login(client)
        for path in (f"/items/{item}", f"/items/{item}/page/1.png"):
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            times.sort()
            size = len(response.content)
            print(f"{path:24} median {times[runs // 2]:.3f} s, slowest {times[-1]:.3f} s, {size} bytes")


if __name__ == "__main__":
    main()
