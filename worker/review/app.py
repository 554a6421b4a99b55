"""The review web app: login, queue, case page, decisions, dashboard. Server-rendered, no script.

Pages run no JavaScript at all, so the Content-Security-Policy can say `script-src 'none'`: customer
HTML that slipped past the sanitiser still could not run. Every request that changes anything is
a POST with the session's CSRF token; every page and file but the login form needs a login.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from worker.db.engine import engine_for, transaction
from worker.db.models import Case, Instalment, Mail, ReviewItem, User, utcnow
from worker.domain import Intent, ReviewKind
from worker.errors import IntakeError, NotFound
from worker.ledger import TransitionError
from worker.money import parse_form_amount
from worker.review import actions, auth, dashboard, intakeconfirm, pagepng, queue
from worker.review.decisions import DecisionError, actor_for
from worker.review.sanitize import bodies, clean_html
from worker.settings import Settings

log = structlog.get_logger(__name__)
HERE = Path(__file__).parent
T = TypeVar("T")
CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:{images}; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SESSION_SECONDS = 8 * 3600


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    pass


def create_app(settings: Settings, *, secure_cookies: bool = True, engine: Engine | None = None,
               throttle: auth.LoginThrottle | None = None) -> Starlette:
    """The app for these settings. `secure_cookies=False` only for plain-HTTP local use and tests."""
    ui = _UI(engine or engine_for(settings.database_url), throttle if throttle is not None else auth.LoginThrottle(),
             proxies=auth.proxy_networks(settings.trusted_proxies), settings=settings)
    routes = [
        Route("/", ui.home), Route("/login", ui.login, methods=["GET", "POST"]),
        Route("/logout", ui.logout, methods=["POST"]), Route("/queue", ui.queue_page),
        Route("/cases/{case_id:int}", ui.case_page), Route("/mails/{mail_id:int}.eml", ui.raw_mail),
        Route("/items/{item_id:int}", ui.item_page),
        Route("/items/{item_id:int}/page/{page_no:int}.png", ui.page_png),
        Route("/items/{item_id:int}/confirm", ui.confirm_intake, methods=["POST"]),
        Route("/decide", ui.decide, methods=["POST"]), Route("/dashboard", ui.dashboard_page),
        Route("/healthz", ui.health),  # for load balancers and probes: no login, no customer data
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=settings.secret_bytes().decode(),
                             session_cookie="dunmail_review", max_age=SESSION_SECONDS, same_site="lax",
                             https_only=secure_cookies)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={LoginRequired: ui.to_login, Forbidden: ui.forbidden,
                                        NotFound: ui.not_found})
    app.state.ui = ui
    return app


class _UI:
    def __init__(self, engine: Engine, throttle: auth.LoginThrottle, *, settings: Settings,
                 proxies: tuple[auth.Network, ...] = ()) -> None:
        self.engine = engine
        self.settings = settings
        self.throttle = throttle
        self.proxies = proxies
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)

    # --- plumbing ---------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        from worker.metrics import database_ok

        ok, detail = database_ok(self.engine)
        return JSONResponse({"status": "ok" if ok else "unhealthy", "role": "review", "database": detail},
                            status_code=200 if ok else 503)

    async def db(self, fn: Callable[[Session], T]) -> T:
        """Run one transaction off the event loop (the database driver blocks)."""
        def work() -> T:
            with transaction(self.engine) as session:
                return fn(session)
        return await run_in_threadpool(work)

    def render(self, request: Request, name: str, status: int = 200, images: bool = False,
               **context: Any) -> Response:
        context.setdefault("user", request.session.get("email"))
        context.setdefault("role", request.session.get("role"))
        context["csrf"] = request.session.get("csrf", "")
        html = self.env.get_template(name).render(request=request, **context)
        response = HTMLResponse(html, status_code=status)
        return _secure_headers(response, images=images)

    async def who(self, request: Request, *, decide: bool = False) -> tuple[str, auth.Role]:
        """The logged-in user, from the server-side session on every request: logout, a password change,
        a disabled user or a lowered role take effect at once, not when the cookie expires."""
        sid = request.session.get("sid")
        found = await self.db(lambda s: _user_tuple(auth.session_user(s, sid))) if sid else None
        if found is None:
            request.session.clear()
            raise LoginRequired()
        email, role_name, _ = found
        role = auth.Role(role_name)
        request.session.update({"email": email, "role": role.value})
        if decide and not role.can_decide:
            raise Forbidden()
        return email, role

    def client(self, request: Request) -> str:
        """The client's address; X-Forwarded-For only counts when the peer is a configured trusted proxy."""
        peer = request.client.host if request.client else None
        return auth.client_address(peer, request.headers.get("x-forwarded-for"), self.proxies)

    async def form(self, request: Request) -> dict[str, str]:
        data = await request.form()
        fields = {k: str(v) for k, v in data.items() if isinstance(v, str)}
        if not auth.csrf_ok(request.session.get("csrf"), fields.get("csrf")):
            raise Forbidden()
        return fields

    async def to_login(self, request: Request, exc: Exception) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    async def forbidden(self, request: Request, exc: Exception) -> Response:
        return self.render(request, "error.html", status=403, message="You may not do that.")

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.render(request, "error.html", status=404, message=str(exc))

    # --- login ------------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            request.session.setdefault("csrf", auth.new_csrf_token())
            return self.render(request, "login.html", error="", next=_safe_next(request.query_params.get("next")))
        fields = await self.form(request)
        email, password = fields.get("email", ""), fields.get("password", "")
        address = self.client(request)
        wait = self.throttle.reserve(email, address)  # counted before argon2 runs: see LoginThrottle
        if wait > 0:
            log.warning("review_login_throttled")
            minutes = max(1, round(wait / 60))
            response = self.render(request, "login.html", status=429, next=_safe_next(fields.get("next")),
                                   error=f"Too many failed logins. Try again in about {minutes} minute(s).")
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response

        def check(session: Session) -> tuple[str, str, int, str] | None:
            user = auth.authenticate(session, email, password)
            if user is None:
                return None
            token = auth.open_session(session, user, lifetime_seconds=SESSION_SECONDS, address=address)
            return user.email, user.role, user.id, token

        user = await self.db(check)
        if user is None:
            log.info("review_login_failed")
            return self.render(request, "login.html", status=401, error="Wrong email or password.",
                               next=_safe_next(fields.get("next")))
        self.throttle.succeeded(email, address)
        request.session.clear()  # a fresh session on login: no fixation
        request.session.update({"sid": user[3], "email": user[0], "role": user[1], "csrf": auth.new_csrf_token()})
        log.info("review_login", user_id=user[2])
        return RedirectResponse(_safe_next(fields.get("next")), status_code=303)

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        sid = request.session.get("sid")
        if sid:
            await self.db(lambda s: auth.revoke_session(s, str(sid)))
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def home(self, request: Request) -> Response:
        await self.who(request)
        return RedirectResponse("/queue", status_code=303)

    # --- pages ------------------------------------------------------------------------------------

    async def queue_page(self, request: Request) -> Response:
        await self.who(request)
        filters = _filters(request)
        rows, counts = await self.db(lambda s: (queue.rows(s, filters), queue.counts(s)))
        _, message = _take_flash(request)
        return self.render(request, "queue.html", rows=rows, counts=counts, filters=filters,
                           kinds=list(ReviewKind), sorts=list(queue.SORTS), message=message)

    async def item_page(self, request: Request) -> Response:
        """An item without a case (an unplaced reply) has its own page; others open their case."""
        await self.who(request)
        item_id = int(request.path_params["item_id"])
        item, mail = await self.db(lambda s: _item_and_mail(s, item_id))
        if item.case_id is not None:
            return RedirectResponse(f"/cases/{item.case_id}#item-{item.id}", status_code=303)
        if item.kind == ReviewKind.INTAKE.value:
            error, message = _take_flash(request)
            return await self.intake_page(request, item, mail, error=error, message=message)
        images = request.query_params.get("images") == "1"
        view = _mail_view(mail, images) if mail else None
        error, _ = _take_flash(request)
        return self.render(request, "item.html", item=item, mail=view, intents=list(Intent), images=images,
                           error=error)

    async def case_page(self, request: Request) -> Response:
        await self.who(request)
        case_id = int(request.path_params["case_id"])
        images = request.query_params.get("images") == "1"
        data = await self.db(lambda s: _case_data(s, case_id, images))
        error, message = _take_flash(request)
        return self.render(request, "case.html", images=images, intents=list(Intent), error=error, message=message,
                           **data)

    async def raw_mail(self, request: Request) -> Response:
        await self.who(request)
        mail_id = int(request.path_params["mail_id"])
        raw = await self.db(lambda s: _raw(s, mail_id))
        response = Response(raw, media_type="message/rfc822", headers={
            "Content-Disposition": f'attachment; filename="mail-{mail_id}.eml"'})
        return _secure_headers(response)

    async def dashboard_page(self, request: Request) -> Response:
        await self.who(request)
        board = await self.db(lambda s: dashboard.build(s, utcnow().date()))
        charts = [Markup(dashboard.bar_chart([(b, float(v)) for b, v in buckets.items()],
                                             title=f"Open {cur} by days overdue"))
                  for cur, buckets in sorted(board.aging.items())]
        charts.append(Markup(dashboard.bar_chart([(k, float(v)) for k, v in sorted(board.states.items())],
                                                 title="Cases by state")))
        rates = [(r.stage, r.pct(r.replied)) for r in board.stages]
        if rates:
            charts.append(Markup(dashboard.bar_chart(rates, title="Reply rate per stage", unit="%")))
        return self.render(request, "dashboard.html", board=board, charts=charts, buckets=dashboard.BUCKETS)

    # --- intake: confirm, don't guess ------------------------------------------------------------

    def _render_limits(self) -> pagepng.RenderLimits:
        s = self.settings
        return pagepng.RenderLimits(max_bytes=int(s.intake_max_pdf_mb * 1024 * 1024), max_pages=s.intake_max_pdf_pages,
                                    memory_mb=s.intake_pdf_memory_mb, seconds=s.intake_pdf_seconds)

    async def intake_page(self, request: Request, item: ReviewItem, mail: Mail | None, *, status: int = 200,
                          error: str | None = None, message: str | None = None, typed: dict[str, str] | None = None,
                          typed_index: int | None = None, problems: dict[str, str] | None = None) -> Response:
        """The invoice's page as a picture beside the fields intake read, each editable; a body invoice
        (no PDF) shows the mail's text instead."""
        pdfs = intakeconfirm.pdf_attachments(mail.raw if mail else None)
        doc = min(max(_int(request.query_params.get("doc")) or 0, 0), max(len(pdfs) - 1, 0))
        documents = [{"index": n, "name": name} for n, (name, _) in enumerate(pdfs)]
        rows = intakeconfirm.to_confirm(item)
        numbers = [row["values"]["number"] for row in rows]
        layout, unreadable = pagepng.PdfPages(0, {}), None
        if pdfs:
            try:
                layout = await run_in_threadpool(pagepng.pdf_pages, pdfs[doc][1], self._render_limits(), numbers)
            except IntakeError as exc:
                unreadable = str(exc)
        for row in rows:  # a batch PDF holds one invoice per page: each row links to its own
            row["page"] = layout.found.get(row["values"]["number"])
        first = next((row["page"] for row in rows if row["page"] and not row["confirmed"]), 1)
        page_no = _int(request.query_params.get("page")) or first
        pages = layout.count
        page_no = min(max(page_no, 1), pages) if pages else 1
        for row in rows:
            if typed is not None and row["index"] == typed_index:
                row["values"] = {k: typed.get(k, "") for k in intakeconfirm.FIELDS}
                row["problems"] = problems or {}
        text, _ = bodies(mail.raw) if mail else ("", "")
        return self.render(request, "intake.html", status=status, item=item, mail=mail, rows=rows,
                           fields=intakeconfirm.FIELDS, labels=intakeconfirm.LABELS, documents=documents,
                           doc=doc, page_no=page_no, pages=pages, unreadable=unreadable, mail_text=text,
                           error=error, message=message)

    async def page_png(self, request: Request) -> Response:
        """One page of the item's forwarded PDF as PNG (never the PDF itself), drawn under the intake limits."""
        await self.who(request)
        item_id, page_no = int(request.path_params["item_id"]), int(request.path_params["page_no"])
        item, mail = await self.db(lambda s: _item_and_mail(s, item_id))
        pdfs = intakeconfirm.pdf_attachments(mail.raw if mail and item.kind == ReviewKind.INTAKE.value else None)
        doc = _int(request.query_params.get("doc")) or 0
        if doc >= len(pdfs):
            raise NotFound(f"review item {item_id} has no PDF {doc + 1}")
        try:
            png = await run_in_threadpool(pagepng.render_page, pdfs[doc][1], page_no, self._render_limits())
        except IntakeError as exc:
            log.info("intake_page_unrendered", review_id=item_id, page=page_no)
            raise NotFound(f"page {page_no} cannot be shown: {exc}") from None
        return _secure_headers(Response(png, media_type="image/png", headers={
            "Content-Disposition": f'inline; filename="item-{item_id}-page-{page_no}.png"'}))

    async def confirm_intake(self, request: Request) -> Response:
        """Open the case with the fields as the person confirmed them; refused values keep the item open
        and come back on the page with what was typed and why it was refused."""
        email, _ = await self.who(request, decide=True)
        fields = await self.form(request)
        item_id = int(request.path_params["item_id"])
        index = _int(fields.get("invoice")) or 0

        def work(session: Session) -> int:
            case = intakeconfirm.confirm(session, item_id, index, fields, actor=actor_for(email),
                                         settings=self.settings)
            return case.id
        try:
            case_id = await self.db(work)
        except intakeconfirm.ConfirmError as exc:
            item, mail = await self.db(lambda s: _item_and_mail(s, item_id))
            return await self.intake_page(request, item, mail, status=400, error=str(exc), typed=fields,
                                          typed_index=index, problems=exc.problems)
        except DecisionError as exc:
            _flash(request, error=str(exc))
            return RedirectResponse(f"/items/{item_id}", status_code=303)
        except IntegrityError:  # two people confirmed the same invoice at once: the database let one win
            _flash(request, error="this invoice was opened meanwhile by someone else: check the queue")
            return RedirectResponse(f"/items/{item_id}", status_code=303)
        log.info("review_decision", action="confirm_intake", review_id=item_id, case_id=case_id)
        _flash(request, message=f"invoice confirmed: case {case_id} opened")
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    # --- decisions --------------------------------------------------------------------------------

    async def decide(self, request: Request) -> Response:
        email, _ = await self.who(request, decide=True)
        fields = await self.form(request)
        item_id = _int(fields.get("item_id"))
        case_id = _int(fields.get("case_id"))
        action = fields.get("action", "")
        back = f"/cases/{case_id}" if case_id else f"/items/{item_id}"

        def work(session: Session) -> str:
            actions.apply(session, action, fields, actor=actor_for(email), item_id=item_id, case_id=case_id)
            return "ok"
        try:
            await self.db(work)
        except (DecisionError, TransitionError) as exc:
            _flash(request, error=str(exc))
            return RedirectResponse(back, status_code=303)
        log.info("review_decision", action=action, review_id=item_id, case_id=case_id)
        if action in ("note", "assign"):
            _flash(request, message="saved")
            return RedirectResponse(back, status_code=303)
        _flash(request, message=f"{action} done")
        return RedirectResponse("/queue", status_code=303)


def _flash(request: Request, *, error: str | None = None, message: str | None = None) -> None:
    """A note for the next page, kept in the signed session: text in a URL could be forged by a link."""
    request.session["flash"] = {"error": error, "message": message}


def _take_flash(request: Request) -> tuple[str | None, str | None]:
    flash = request.session.pop("flash", None) or {}
    return flash.get("error"), flash.get("message")


def _secure_headers(response: Response, *, images: bool = False) -> Response:
    response.headers["Content-Security-Policy"] = CSP.format(images=" https:" if images else "")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(value: str | None) -> str:
    """Only local paths: a login link must not send the reviewer to another site."""
    return value if value and value.startswith("/") and not value.startswith("//") else "/queue"


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _user_tuple(user: User | None) -> tuple[str, str, int] | None:
    return (user.email, user.role, user.id) if user else None


def _filters(request: Request) -> queue.Filters:
    q = request.query_params
    kind = q.get("kind", "")
    try:  # the shared checks: a '1e500000' or 'NaN' in the link is no filter, not a database error
        amount = parse_form_amount(q["min_amount"]) if q.get("min_amount") else None
    except ValueError:
        amount = None
    return queue.Filters(kind=kind if kind in {k.value for k in ReviewKind} else "",
                         min_age_hours=_int(q.get("min_age_hours")), min_amount=amount,
                         customer=q.get("customer", ""), assignee=q.get("assignee", ""),
                         sort=q.get("sort", "oldest"))


def _item_and_mail(session: Session, item_id: int) -> tuple[ReviewItem, Mail | None]:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist")
    return item, session.get(Mail, item.mail_id) if item.mail_id else None


def _raw(session: Session, mail_id: int) -> bytes:
    mail = session.get(Mail, mail_id)
    if mail is None or mail.raw is None:
        raise NotFound(f"mail {mail_id} has no stored raw message")
    return mail.raw


def _mail_view(mail: Mail, images: bool) -> dict[str, Any]:
    text, html = bodies(mail.raw)
    analysis = mail.analysis or {}
    return {"mail": mail, "text": analysis.get("reply_text") or text, "full_text": text,
            "html": Markup(clean_html(html, allow_images=images)) if html else None,
            "promised_date": analysis.get("promised_date"), "amounts": analysis.get("amounts") or [],
            "language": analysis.get("language"), "corrected": analysis.get("corrected_intent"),
            "why": [str(w) for w in analysis.get("why") or []][:3],
            "alternatives": [(str(a[0]), float(a[1])) for a in analysis.get("alternatives") or [] if len(a) == 2][:2]}


def _case_data(session: Session, case_id: int, images: bool) -> dict[str, Any]:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    entries = [{"at": t.at, "event": t.event, "mail": _mail_view(t.mail, images) if t.mail else None}
               for t in queue.timeline(session, case_id)]
    items = session.scalars(select(ReviewItem).where(ReviewItem.case_id == case_id, ReviewItem.status == "open")
                            .order_by(ReviewItem.created_at)).all()
    plan = session.scalars(select(Instalment).where(Instalment.case_id == case_id).order_by(Instalment.seq)).all()
    return {"case": case, "invoice": case.invoice, "customer": case.customer,
            "contacts": list(case.customer.contacts), "timeline": entries, "items": items, "plan": plan,
            "today": date.today()}
