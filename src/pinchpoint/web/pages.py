"""The workbench's pages: each parses the form, asks the one :class:`~pinchpoint.session.Session`
(``app.state.session``, acting as the request's actor: its authoriser applies the account rules, its recorder writes
the audit trail) and renders a template. Templates autoescape everything: names from lists and uploads are hostile
input."""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote_plus

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pinchpoint.accounts.jobs import get_job, recent_jobs
from pinchpoint.accounts.model import RESOURCE_KINDS, Actor, Role, Visibility
from pinchpoint.accounts.policy import AccessDenied
from pinchpoint.errors import BadArgumentError, DataError, NotFoundError, PinchpointError
from pinchpoint.results import ResultTable
from pinchpoint.web.i18n import LANGUAGES, pick_language, translations
from pinchpoint.web.security import csrf_ok, csrf_token

if TYPE_CHECKING:
    from pinchpoint.session import Session
    from pinchpoint.web.state import WebState

router = APIRouter(include_in_schema=False)
MAX_BATCH_ROWS = 5_000
NAV = [("/", "Overview"), ("/supply-chain", "Supply chain"), ("/stress", "Stress"), ("/trade", "Trade"),
       ("/controls", "Controls"), ("/screening", "Screening"), ("/plan", "Plan"), ("/trends", "Trends")]
BUILTIN = "builtin"
ANALYSES = ("chokepoints", "exposure", "concentration")
STRESS_ENGINES = ("dynamic", "static", "tts")  # ARIO needs an input-output table the server does not hold
HEADLINE_TABLES = {"dynamic": "summary", "static": "shortfall", "tts": "tts"}
MAX_WEB_RUNS = 1_000  # Monte Carlo draws from the page (the CLI takes more)
TRADE_FIELDS = ("reporters", "partners", "codes", "base", "compare", "flow", "sources", "importers", "period",
                "target", "hubs", "event", "min_baseline")
FORMATS = {"csv": "text/csv", "csv.meta.json": "application/json", "json": "application/json",
           "parquet": "application/vnd.apache.parquet"}
# A CSV file stays the plain table a spreadsheet opens; its provenance (command, dataset and version, parameters,
# caveats) is the sidecar the CLI writes beside it, offered as its own link next to every CSV link and named by the
# CSV's ``Link: <...>; rel="describedby"`` header (W3C CSV on the Web's way to find a CSV's metadata).
SIDECAR = "csv.meta.json"
FORMAT_LABELS = {"csv": "CSV", "csv.meta.json": "CSV provenance (.meta.json)", "json": "JSON", "parquet": "Parquet"}


def _shown(value: Any) -> Any:
    """Every value a template prints: text with its control and bidi-override characters shown as escapes (a NUL
    byte or U+202E in an uploaded name must not reach the page raw), markup kept markup."""
    from markupsafe import Markup

    from pinchpoint.results.table import visible_controls

    if isinstance(value, Markup):
        return Markup(visible_controls(str(value)))
    return visible_controls(value) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(files("pinchpoint.web") / "templates")),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                      auto_reload=False,  # packaged templates: no stat of the file on every render
                      finalize=_shown)
    env.filters["num"] = _num
    env.filters["format_label"] = lambda f: FORMAT_LABELS.get(f, f.upper())
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * float(v):.1f}%"
    return env


def _num(value: Any, column: str = "") -> str:
    """A cell for people; an int in a year, code, id or row ``column`` without a thousands separator (2024)."""
    from pinchpoint.results.table import format_float, format_int

    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return str(format_float(value))
    if isinstance(value, int):
        return format_int(value, column)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def _actor(request: Request) -> Actor:
    actor = getattr(request.state, "actor", None)
    if actor is None:  # AuthGate lets no such request through; this guards a misconfigured mount
        raise AccessDenied(Actor(0, "anonymous", "", Role.VIEWER), "read", None, "not signed in")
    return actor  # type: ignore[no-any-return]


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = pick_language(request.session.get("lang"), request.headers.get("accept-language"))
    tr = translations(lang)
    flash = request.session.pop("flash", None)
    html = _env().get_template(template).render(
        request=request, actor=getattr(request.state, "actor", None), lang=lang, languages=LANGUAGES,
        _=tr.gettext, ngettext=tr.ngettext, csrf=csrf_token(request.session), nav=NAV, path=request.url.path,
        flash=flash, **context)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def _flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = {"message": message[:2000], "kind": kind}


def _check_csrf(request: Request, token: str | None) -> None:
    if not csrf_ok(request.session, token):
        raise AccessDenied(_actor_or_anon(request), "post", None, "the form's CSRF token is missing or stale; "
                           "reload the page")


def _actor_or_anon(request: Request) -> Actor:
    return getattr(request.state, "actor", None) or Actor(0, "anonymous", "", Role.VIEWER)


def _too_many(request: Request, retry_after: int, message: str) -> HTMLResponse:
    """429 with the seconds to wait in Retry-After (and on the page)."""
    response = render(request, "error.html", status=429, error=message, retry_after=retry_after)
    response.headers["retry-after"] = str(max(1, retry_after))
    return response


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _denied(exc: Exception) -> bool:
    """A refusal by the access rules (the accounts' own, or as the Session raises it)."""
    from pinchpoint.session import AccessDenied as SessionDenied

    return isinstance(exc, (AccessDenied, SessionDenied))


def _message(exc: Exception) -> str:
    """The error's message, with how an operator adds what is missing from the server's workspace (as the API
    says it)."""
    from pinchpoint.api.app import error_message

    return error_message(exc) if isinstance(exc, PinchpointError) else str(exc)


def _error_page(request: Request, exc: Exception) -> HTMLResponse:
    status = 403 if _denied(exc) else 404 if isinstance(exc, NotFoundError) else 400
    return render(request, "error.html", status=status, error=_message(exc), denied=_denied(exc))


# sign-in ----------------------------------------------------------------------------------------------
@router.get("/healthz")
async def healthz() -> dict[str, str]:  # async: answered on the event loop, no worker thread
    return {"status": "ok"}


def _login(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    """The sign-in page: the password form, and a button per organisation with single sign-on."""
    from pinchpoint.accounts import oidc

    try:
        providers = oidc.providers(_web(request).store)
    except PinchpointError:
        providers = []
    return render(request, "login.html", status=status, providers=providers, **context)


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login(request)


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form(max_length=100)] = ""
          ) -> Response:
    web = _web(request)
    if not csrf_ok(request.session, csrf_token):
        return _login(request, status=400, error="The form expired: please sign in again.")
    client = request.client.host if request.client else "?"
    key = f"{client}|{username.lower()}"
    if not web.sign_in_limit.allow(key) or not web.sign_in_address_limit.allow(client):
        wait = web.sign_in_limit.retry_after(key)
        return _login(request, status=429, error="Too many attempts: wait a minute.", retry_after=wait)
    actor = web.store.authenticate(username, password, source=client)
    if actor is None:
        return _login(request, status=401, error="Wrong user name or password.")
    request.session.clear()  # a new session on sign-in: no fixation
    request.session.update({"uid": actor.user_id, "gen": web.store.session_generation(actor.user_id),
                            "lang": pick_language(None, request.headers.get("accept-language"))})
    return _back("/")


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    _check_csrf(request, csrf_token)
    actor = _actor(request)
    _web(request).store.sign_out(actor)  # every cookie of this account stops working, copies included
    request.session.clear()
    return _back("/login")


@router.post("/lang")
def set_language(request: Request, lang: Annotated[str, Form(max_length=5)],
                 csrf_token: Annotated[str, Form(max_length=100)] = "",
                 next_path: Annotated[str, Form(alias="next", max_length=300)] = "/") -> Response:
    _check_csrf(request, csrf_token)
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return _back(next_path if next_path.startswith("/") and not next_path.startswith("//") else "/")


# overview and supply chain --------------------------------------------------------------------------
def common_datasets(session: Session) -> list[str]:
    """'builtin' and the stored datasets the session's actor may read, the built-in one first."""
    names = [BUILTIN]
    for record in session.supplychain.datasets().rows:
        if str(record["name"]) not in names:
            names.append(str(record["name"]))
    return names


def overview_tables(web: WebState, dataset: str, lang: str = "en") -> tuple[ResultTable, ResultTable, str]:
    """Exposure and chokepoints of ``dataset`` (from the Session) and the world map drawn from the exposure (drawn
    once per dataset version and language: the map is presentation, the figures are the Session's)."""
    from pinchpoint.kernel.countries import country_name
    from pinchpoint.reports.svg import choropleth

    session = web.session
    exposure = session.supplychain.exposure(dataset)
    choke = session.supplychain.chokepoints(dataset)
    key = (dataset, str(exposure.meta.get("dataset_version", "")), lang)
    world = web.drawn.get(key)
    if world is None:
        dependence = {r["country"]: 100.0 * r["dependence"] for r in exposure.rows}
        world = choropleth(dependence, title="Dependence by country", legend="Dependence (% of output lost)",
                           names={c: country_name(c, lang) for c in dependence}, vmax=100.0, unit="%")
        web.drawn[key] = world
    return exposure, choke, world


def _lang(request: Request) -> str:
    return pick_language(request.session.get("lang"), request.headers.get("accept-language"))


@router.get("/")
def overview(request: Request, dataset: str = BUILTIN) -> Response:
    from pinchpoint.kernel.countries import country_name

    web = _web(request)
    dataset = dataset[:100]
    lang = _lang(request)
    try:
        exposure, choke, world = overview_tables(web, dataset, lang)
        chain = web.session.supplychain.chain(dataset)
        names = common_datasets(web.session)
    except PinchpointError as exc:
        return _error_page(request, exc)
    target = exposure.rows[0]["target_name"] if exposure.rows else ""
    risks = [r for r in exposure.rows if r["dependence"] > 0][:10]
    return render(request, "overview.html", dataset=dataset, datasets=names, chain=chain,
                  world=world, target=target, exposure=risks,
                  country_names={r["country"]: country_name(r["country"], lang) for r in risks},
                  chokepoints=list(choke.rows[:15]), n_chokepoints=len(choke.rows),
                  caveats=list(exposure.caveats) + [c for c in choke.caveats if c not in exposure.caveats])


@router.get("/supply-chain")
def supply_chain(request: Request) -> Response:
    web, actor = _web(request), _actor(request)
    rows = []
    try:
        names = common_datasets(web.session)
    except PinchpointError as exc:
        return _error_page(request, exc)
    for name in names:
        resource = web.store.resource_or_common("dataset", name)
        rows.append({"name": name, "resource": resource, "own": resource.owner_org == actor.org,
                     "common": not resource.owner_org})
    return render(request, "supply_chain.html", datasets=rows, can_upload=actor.role.at_least(Role.ANALYST),
                  is_admin=actor.role is Role.ADMIN)


@router.post("/supply-chain/upload")
async def upload_dataset(request: Request, name: Annotated[str, Form(max_length=48)],
                         file: Annotated[UploadFile, File()],
                         csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    from starlette.concurrency import run_in_threadpool

    web = _web(request)
    try:
        _check_csrf(request, csrf_token)
        data = await file.read()
        record = await run_in_threadpool(web.session.supplychain.upload, name.strip(), file.filename or "upload",
                                         data)
    except DataError as exc:
        return render(request, "upload_problems.html", status=422, problems=exc.problems[:200],
                      n_problems=len(exc.problems), filename=file.filename or "")
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, f"Imported {record.name} ({record.n_inputs:,} inputs, version {record.version[:12]}).")
    return _back(f"/supply-chain/{record.name}")


def _analysis_choice(request: Request) -> tuple[int | None, str]:
    """The page's ``year`` (blank: the latest per input) and ``level``, as typed: the Session checks them as it
    does the CLI's ``--year`` and ``--level``."""
    text = request.query_params.get("year", "").strip()[:10]
    level = request.query_params.get("level", "country").strip()[:20] or "country"
    if not text:
        return None, level
    try:
        return int(text), level
    except ValueError:
        raise BadArgumentError(f"year must be a whole year such as 2022, not {text!r}", parameter="year") from None


def _analysis_words(analysis: str, dataset: str, year: int | None, level: str) -> tuple[list[str],
                                                                                        list[tuple[str, Any]]]:
    """``pinchpoint <analysis>`` and its options for a dataset page's question (defaults left out, as typed)."""
    return [analysis], [("--dataset", dataset), ("--year", year),
                        ("--level", None if level == "country" else level)]


def _choice_query(year: int | None, level: str) -> str:
    return "&".join(f"{k}={quote_plus(str(v))}" for k, v in (("year", year), ("level", level))
                    if v is not None and v != "country")


@router.get("/supply-chain/{dataset}")
def dataset_page(request: Request, dataset: str, analysis: str = "chokepoints") -> Response:
    from pinchpoint.results.table import cli_command, reproducible_command

    web, actor = _web(request), _actor(request)
    if analysis not in ANALYSES:
        analysis = "chokepoints"
    try:
        year, level = _analysis_choice(request)
        table = web.session.supplychain.analyse(analysis, dataset, year=year, level=level)
        chain = web.session.supplychain.chain(dataset)
    except PinchpointError as exc:
        return _error_page(request, exc)
    level = str(table.meta.get("level", level))  # as the Session read it ('org' -> 'organisation')
    resource = web.store.resource_or_common("dataset", dataset.partition("@")[0])  # 'name@version': its dataset
    shown = [c for c in table.columns if c not in ("sources", "critical_path")][:10]
    words, options = _analysis_words(analysis, dataset, year, level)
    choice = _choice_query(year, level)
    return render(request, "dataset.html", dataset=dataset, chain=chain, analysis=analysis, analyses=ANALYSES,
                  table=table, columns=shown, rows=list(table.rows[:200]), resource=resource,
                  caveats=list(table.caveats), formats=list(FORMATS), year=year, level=level,
                  years=sorted(chain.years(), reverse=True),
                  choice=("?" + choice) if choice else "",
                  # pinned to the version shown, as the downloads' meta.reproduce is: after a re-import the command
                  # as typed would give other figures
                  command=reproducible_command(cli_command(words, options), table.meta),
                  orgs=[o.name for o in web.store.orgs() if o.name != actor.org],
                  can_share=actor.role is Role.ADMIN and resource.owner_org == actor.org)


def _download(table: ResultTable, stem: str, fmt: str, command: tuple[Sequence[str], Sequence[tuple[str, Any]]]
              | None = None, describedby: str = "") -> Response:
    """A result table as a file in ``fmt``, with the provenance the CLI's output of the same question carries: JSON
    meta, Parquet key-value metadata, and for CSV the ``<file>.meta.json`` sidecar (format ``csv.meta.json``, its own
    download; ``describedby`` is its URL, sent in the CSV's Link header). ``command`` (the CLI's subcommand words and
    options) becomes ``meta["command"]`` with the output option that writes this very file (``--format json``;
    ``--output <file>`` for CSV, whose sidecar that writes, and Parquet), built in one place,
    :func:`~pinchpoint.results.table.cli_command`."""
    import tempfile

    from pinchpoint.results.table import cli_command, sidecar_path, write_table

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", stem)[:120]
    written = "csv" if fmt == SIDECAR else fmt
    if command is not None:
        words, options = command
        output = [("--format", "json")] if written == "json" else [("--output", f"{safe}.{written}")]
        table = table.with_command(cli_command(words, [*options, *output]))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(table, Path(tmp) / f"{safe}.{written}")
        data = (sidecar_path(path) if fmt == SIDECAR else path).read_bytes()
    headers = {"content-disposition": f'attachment; filename="{safe}.{fmt}"'}
    if fmt == "csv" and describedby:
        headers["link"] = f'<{describedby}>; rel="describedby"; type="application/json"'
    return Response(data, media_type=FORMATS[fmt], headers=headers)


def _sidecar_url(request: Request) -> str:
    """The URL of this CSV download's provenance: the same request asking for ``csv.meta.json`` ("" for a form
    posted, which no link can repeat: its page offers the provenance as a form of its own)."""
    url = request.url
    if request.method != "GET":
        return ""
    if url.path.endswith(".csv"):
        return str(url.replace(path=url.path + ".meta.json"))
    return str(url.include_query_params(fmt=SIDECAR))


def _supply_chain_download(request: Request, dataset: str, analysis: str, fmt: str) -> Response:
    web = _web(request)
    try:
        year, level = _analysis_choice(request)
        table = web.session.supplychain.export(analysis, dataset, fmt, year=year, level=level)
    except PinchpointError as exc:
        return _error_page(request, exc)
    level = str(table.meta.get("level", level))
    return _download(table, f"{dataset}-{analysis}", fmt, _analysis_words(analysis, dataset, year, level),
                     describedby=_sidecar_url(request))


@router.get("/supply-chain/{dataset}/{analysis}.csv.meta.json")
def download_sidecar(request: Request, dataset: str, analysis: str) -> Response:
    """The provenance of the CSV download beside it (what the CLI writes as ``<file>.csv.meta.json``)."""
    return _supply_chain_download(request, dataset, analysis, SIDECAR)


@router.get("/supply-chain/{dataset}/{analysis}.{fmt}")
def download(request: Request, dataset: str, analysis: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        return _error_page(request, BadArgumentError(f"download as one of {', '.join(FORMATS)}", parameter="fmt"))
    return _supply_chain_download(request, dataset, analysis, fmt)


@router.post("/share/{kind}/{key}")
def share(request: Request, kind: str, key: str, visibility: Annotated[str, Form(max_length=10)],
          orgs: Annotated[list[str] | None, Form()] = None, csrf_token: Annotated[str, Form(max_length=100)] = ""
          ) -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        if kind not in RESOURCE_KINDS:
            raise BadArgumentError(f"unknown kind {kind!r}", parameter="kind")
        store = web.store
        vis = Visibility(visibility) if visibility in {v.value for v in Visibility} else None
        if vis is None:
            raise BadArgumentError("visibility is private, shared or public", parameter="visibility")
        current = store.resource_or_common(kind, key)
        chosen = [o for o in (orgs or []) if o][:50]
        if vis is Visibility.SHARED:
            gone = [s.org for s in current.shares if s.org not in chosen]
            if gone:
                store.unshare(actor, kind, key, gone)
            if chosen:
                store.share(actor, kind, key, chosen)
            else:
                store.set_visibility(actor, kind, key, Visibility.PRIVATE)
        else:
            store.set_visibility(actor, kind, key, vis)
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, f"Sharing of {key} updated.")
    return _back(f"/supply-chain/{key}" if kind == "dataset" else "/")


# stress ----------------------------------------------------------------------------------------------------
def _stress_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    web, actor = _web(request), _actor(request)
    scenarios = [str(r["name"]) for r in web.session.stress.scenarios().rows]
    jobs = recent_jobs(web.store, actor, "stress_job")
    context.setdefault("scenario", "")
    context.setdefault("text", "")
    return render(request, "stress.html", status=status, scenarios=scenarios, engines=STRESS_ENGINES,
                  jobs=jobs, done=[j for j in jobs if j.status == "done"],
                  can_run=actor.role.at_least(Role.ANALYST), **context)


@router.get("/stress")
def stress_page(request: Request, scenario: str = "") -> Response:
    session = _web(request).session
    text = ""
    try:
        if scenario:
            text = session.stress.scenario_text(scenario[:100])
    except PinchpointError as exc:
        return _error_page(request, exc)
    return _stress_page(request, scenario=scenario[:100], text=text)


@router.post("/stress/start")
def stress_run(request: Request, scenario: Annotated[str, Form(max_length=100)] = "",
               text: Annotated[str, Form(max_length=200_000)] = "", validate_only: Annotated[str, Form()] = "",
               engine: Annotated[str, Form(max_length=10)] = "dynamic",
               runs: Annotated[int, Form(ge=1, le=MAX_WEB_RUNS)] = 1,
               seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
               csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    web, actor = _web(request), _actor(request)
    session = web.session
    try:
        _check_csrf(request, csrf_token)
        if engine not in STRESS_ENGINES:
            raise BadArgumentError(f"engine: one of {', '.join(STRESS_ENGINES)}", parameter="engine")
        if text.strip():
            sc = session.stress.scenario_from_yaml(text, based_on=scenario or None)
        elif scenario:
            sc = session.stress.scenario(scenario)
        else:
            raise BadArgumentError("pick a packaged scenario or write one in the editor", parameter="scenario")
        if validate_only:
            _flash(request, f"The scenario '{sc.name}' is valid: {len(sc.shocks)} shocks over {sc.horizon_days} days.")
            return _stress_page(request, scenario=scenario, text=text, valid=True)
        session.authorize("stress.run", f"scenario:{sc.name}")  # refused here, not in the job
    except DataError as exc:
        return _stress_page(request, status=422, scenario=scenario, text=text, problem=exc)
    except PinchpointError as exc:
        return _error_page(request, exc)
    job_id = web.jobs.new_id()
    job_dir = web.jobs_dir / job_id

    def work(progress: Any) -> dict[str, Any]:
        from pinchpoint.results.table import cli_command, sidecar_path, write_table

        def days(done: int, total: int, label: str = "") -> None:
            progress(done, total, label or "days simulated")

        run = session.stress.run(sc, engine=engine, runs=runs, seed=seed, progress=days)
        job_dir.mkdir(parents=True, exist_ok=True)
        files = []
        command = cli_command(["stress", sc.name], [("--engine", engine), ("--runs", runs), ("--seed", seed)])
        for name, table in run.tables.items():
            table = table.with_command(command)
            for fmt in ("csv", "json"):
                path = write_table(table, job_dir / f"{name}.{fmt}")
                files += [path.name, sidecar_path(path).name] if fmt == "csv" else [path.name]
        headline = run.headline
        session.record("stress_run", f"scenario:{sc.name}", {"job": job_id, "engine": engine, "runs": runs,
                                                             "seed": seed})
        return {"scenario": sc.name, "title": run.title, "engine": engine, "columns": list(run.columns),
                "rows": headline.records()[:100], "n_rows": len(headline), "caveats": list(headline.caveats),
                "headline": HEADLINE_TABLES[engine], "files": files}

    web.jobs.submit(actor, "stress_job", work, {"scenario": sc.name, "engine": engine, "runs": runs},
                    job_id=job_id)
    return _back(f"/jobs/{job_id}")


def _stress_table(web: WebState, job: Any, name: str) -> ResultTable:
    """A finished stress job's table ``name``, read back from its JSON file."""
    path = web.jobs_dir / job.id / f"{name}.json"
    if job.kind != "stress_job" or job.status != "done" or not path.exists():
        raise NotFoundError(f"job {job.id} holds no {name} table (a finished stress run's)", what="stress run",
                            value=job.id)
    return ResultTable.from_document(json.loads(path.read_text(encoding="utf-8")))


def shortfall_chart(series: ResultTable, top: int = 6) -> str:
    """The shortfall paths of the ``top`` end products with the largest mean shortfall, one line each, the 5-95%
    band as dotted lines (a drawing of the series table; the figures are the run's)."""
    from pinchpoint.reports.svg import line_chart

    paths: dict[str, list[tuple[float, float]]] = {}
    bands: dict[str, list[tuple[float, float]]] = {}
    for r in series.rows:
        paths.setdefault(str(r["input_id"]), []).append((float(r["day"]), 100.0 * float(r["shortfall"])))
        bands.setdefault(str(r["input_id"]), []).append((float(r["day"]), 100.0 * float(r["shortfall_p95"])))
    worst = sorted(paths, key=lambda k: (-sum(y for _, y in paths[k]), k))[:top]
    lines = {k: paths[k] for k in worst if any(y > 0 for _, y in paths[k])}
    lines.update({f"{k} (95th pct)": bands[k] for k in lines if bands[k] != paths[k]})
    return line_chart(lines, title="Shortfall paths", x_label="day", y_label="shortfall (% of demand)")


@router.get("/stress/compare")
def stress_compare(request: Request, first: str = "", second: str = "") -> Response:
    web = _web(request)
    try:
        a, b = _job_for(request, first), _job_for(request, second)
        table = web.session.stress.compare(_stress_table(web, a, "summary"), _stress_table(web, b, "summary"))
    except PinchpointError as exc:
        return _error_page(request, exc)
    return render(request, "stress_compare.html", first=a, second=b, table=table,
                  columns=["input_id", "input_name", "peak_shortfall_first", "peak_shortfall_second",
                           "peak_shortfall_change", "shortfall_days_first", "shortfall_days_second",
                           "shortfall_days_change", "recovery_day_first", "recovery_day_second", "present_in"],
                  rows=list(table.rows[:200]), caveats=list(table.caveats))


# jobs --------------------------------------------------------------------------------------------------------
def _job_for(request: Request, job_id: str) -> Any:
    web = _web(request)
    job = get_job(web.store, job_id[:32])
    if job is None:
        raise NotFoundError(f"no job {job_id[:32]!r}", what="job", value=job_id[:32])
    web.session.authorize("jobs.read", f"{job.kind}:{job.id}")
    return job


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    web = _web(request)
    chart, others = "", []
    try:
        job = _job_for(request, job_id)
        if job.kind == "stress_job" and job.status == "done" and "series.json" in job.result.get("files", []):
            chart = shortfall_chart(_stress_table(web, job, "series"))
            others = [j for j in recent_jobs(web.store, _actor(request), "stress_job")
                      if j.status == "done" and j.id != job.id and "summary.json" in j.result.get("files", [])]
    except PinchpointError as exc:
        return _error_page(request, exc)
    return render(request, "job.html", job=job, chart=chart, others=others)


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: str) -> Response:
    try:
        job = _job_for(request, job_id)
    except PinchpointError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=403 if _denied(exc) else 404)
    return JSONResponse({"status": job.status, "done": job.done, "total": job.total, "label": job.label,
                         "percent": job.percent, "error": job.error})


@router.get("/jobs/{job_id}/files/{name}")
def job_file(request: Request, job_id: str, name: str) -> Response:
    web = _web(request)
    try:
        job = _job_for(request, job_id)
        if name not in job.result.get("files", []):
            raise NotFoundError(f"job {job.id} has no file {name!r}", what="file", value=name,
                                suggestions=list(job.result.get("files", [])))
        web.session.authorize("jobs.export", f"{job.kind}:{job.id}")
        web.session.record("export", f"{job.kind}:{job.id}", {"file": name})
    except PinchpointError as exc:
        return _error_page(request, exc)
    prefix = {"stress_job": "stress", "trade_import": "trade-import"}.get(job.kind, "screening")
    return FileResponse(web.jobs_dir / job.id / name, filename=f"{prefix}-{job.id}-{name}")


# screening ------------------------------------------------------------------------------------------------
MAX_INLINE_SCREENING_S = 0.02  # a screening slower than this (very large lists) runs in a worker thread


@router.get("/screening")
async def screening_page(request: Request, q: str = "", threshold: float = 0.8) -> Response:
    """One name. Async: once the screener and the reviews are loaded for the workspace as it is, a screening is
    ~1-3 ms of CPU, answered on the event loop (a hop to a worker thread and back costs two thread wake-ups, which
    on a busy machine took longer than the screening); after any change to the workspace (a list loaded, a review
    taken) the next one runs in a worker thread, where the index or the reviews may be re-read, and so do all of
    them while one takes longer than ``MAX_INLINE_SCREENING_S`` (lists so large that the loop would stall)."""
    from starlette.concurrency import run_in_threadpool

    from pinchpoint.session import workspace_state

    web, actor = _web(request), _actor(request)
    q = q[:500]
    threshold = min(1.0, max(0.5, threshold))
    matches: list[dict[str, Any]] = []
    caveats: list[str] = []
    versions: dict[str, str] = {}
    error = ""
    if q.strip():
        client = request.client.host if request.client else "?"
        if not web.screening_limit.allow(f"{actor.username}|{client}"):
            return _too_many(request, web.screening_limit.retry_after(f"{actor.username}|{client}"),
                             "Too many screenings in a minute: wait a moment.")

        def screen() -> ResultTable:
            return web.session.screening.screen([q], threshold=threshold, organisation=actor.org)

        try:
            state = workspace_state(web.session.db_path())
            if web.screening_loaded_for is not None and web.screening_loaded_for == state:
                started = time.perf_counter()
                table = screen()
                if time.perf_counter() - started > MAX_INLINE_SCREENING_S:  # large lists: back to the threads
                    web.screening_loaded_for = None
            else:
                table = await run_in_threadpool(screen)
                web.screening_loaded_for = state
        except PinchpointError as exc:  # no lists loaded yet, an option out of range
            if _denied(exc):
                return _error_page(request, exc)
            error = _message(exc)
        else:
            matches = sorted((dict(m) for m in table.rows), key=lambda m: m["alert"] == "decided")
            caveats, versions = list(table.caveats), dict(table.meta.get("lists", {}))
            web.session.record("screening", "query", {
                "query": q, "threshold": threshold, "lists": versions,
                "results": [{"list": m["list"], "entity_id": m["entity_id"], "score": m["score"],
                             "alert": m["alert"]} for m in matches],
                "decision": None})
    return render(request, "screening.html", q=q, threshold=threshold, matches=matches, caveats=caveats,
                  versions=versions, error=error, jobs=recent_jobs(web.store, actor, "screening_job"),
                  can_review=actor.role.at_least(Role.ANALYST))


@router.post("/screening/review")
def review(request: Request, query: Annotated[str, Form(max_length=500)],
           list_name: Annotated[str, Form(max_length=200)], entity_id: Annotated[str, Form(max_length=200)],
           decision: Annotated[str, Form(max_length=20)], reason: Annotated[str, Form(max_length=1000)] = "",
           back: Annotated[str, Form(max_length=300)] = "", csrf_token: Annotated[str, Form(max_length=100)] = "",
           country: Annotated[str, Form(max_length=80)] = "", entity_type: Annotated[str, Form(max_length=40)] = "",
           birth_date: Annotated[str, Form(max_length=40)] = "", gender: Annotated[str, Form(max_length=20)] = ""
           ) -> Response:
    """A decision on an alert: on the name with the refinements it was screened with (a batch row's country, type,
    birth date and gender come with the alert)."""
    from urllib.parse import quote

    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        if not reason.strip():  # the form requires one; a decision kept for an inspector says why
            raise BadArgumentError("a decision needs a reason", parameter="reason")
        decided = web.session.screening.review(query, entity_id, decision, actor.username, reason.strip(),
                                               list_name or None, organisation=actor.org, country=country or None,
                                               entity_type=entity_type or None, birth_date=birth_date or None,
                                               gender=gender or None)
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, f"Decision recorded: {decided.decision} for {entity_id} ({list_name}).")
    if back.startswith("/jobs/") and not back.startswith("//"):
        return _back(back)
    return _back(f"/screening?q={quote(query)}")


@router.post("/screening/batch")
async def screening_batch(request: Request, file: Annotated[UploadFile, File()],
                          name_column: Annotated[str, Form(max_length=100)] = "name",
                          country_column: Annotated[str, Form(max_length=100)] = "",
                          type_column: Annotated[str, Form(max_length=100)] = "",
                          birth_date_column: Annotated[str, Form(max_length=100)] = "",
                          gender_column: Annotated[str, Form(max_length=100)] = "",
                          threshold: Annotated[float, Form(ge=0.5, le=1.0)] = 0.8,
                          top: Annotated[str, Form(max_length=10)] = "",
                          csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """A CSV of names screened as ``pinchpoint screen --file <file> --output results.csv`` (and ``.json``) screens
    it: the same library batch through the Session, so the downloads are the command line's."""
    from starlette.concurrency import run_in_threadpool

    from pinchpoint.session.screening import batch_outcome, upload_name

    web, actor = _web(request), _actor(request)
    session = web.session
    options: dict[str, Any] = {"name_column": name_column.strip() or "name",
                               **{k: v.strip() or None for k, v in (("country_column", country_column),
                                                                    ("type_column", type_column),
                                                                    ("birth_date_column", birth_date_column),
                                                                    ("gender_column", gender_column))},
                               "threshold": threshold}
    try:
        _check_csrf(request, csrf_token)
        session.authorize("screening.batch", "screening_job:*")
        if top.strip():
            if not top.strip().isdigit() or int(top) < 1:
                raise BadArgumentError(f"top {top.strip()!r}: give 1 or more matches per row, or leave it empty for "
                                       "all", parameter="top")
            options["top"] = int(top)
        data = await file.read()
        filename = file.filename or "upload.csv"
        n_rows = await run_in_threadpool(lambda: session.screening.check_upload(
            filename, data, max_rows=MAX_BATCH_ROWS, **{k: v for k, v in options.items()
                                                        if k.endswith("_column")}))
        await run_in_threadpool(session.screening.screener)  # no lists loaded: said now, not in the job
    except PinchpointError as exc:
        return _error_page(request, exc)
    job_id = web.jobs.new_id()
    job_dir = web.jobs_dir / job_id
    name = upload_name(filename)

    def work(progress: Any) -> dict[str, Any]:
        runs = session.screening.screen_upload(filename, data, job_dir, formats=("csv", "json"),
                                               organisation=actor.org, progress=progress, **options)
        outcome = batch_outcome(runs[-1])
        session.record("screening_batch", f"screening_job:{job_id}", {
            "file": name, "rows": outcome["rows"], "inputs": outcome["inputs"], "alerts": outcome["alerts"],
            "input": outcome["input"], "lists": outcome["lists"], "parameters": outcome["parameters"],
            "remembered_false_positives": outcome["false_positives"]})
        return {**outcome, "file": name, "files": ["results.csv", "results.csv.meta.json", "results.json"]}

    web.jobs.submit(actor, "screening_job", work, {"file": name, "rows": n_rows}, job_id=job_id)
    session.record("upload", f"screening_job:{job_id}", {"file": name, "bytes": len(data)})
    return _back(f"/jobs/{job_id}")


@router.get("/jobs/{job_id}/alerts")
def job_alerts(request: Request, job_id: str) -> Response:
    from pinchpoint.session.screening import batch_row_refinements
    from pinchpoint.web import services

    web, actor = _web(request), _actor(request)
    try:
        job = _job_for(request, job_id)
        path = web.jobs_dir / job.id / "results.json"
        document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"rows": []}
        rows = [r for r in document.get("rows", []) if r.get("entity_id")]
        parameters = document.get("meta", {}).get("parameters", {})
        for r in rows:  # a decision is on the name with what the row was screened with
            r["refinements"] = batch_row_refinements(parameters, r)
        # the decisions as of now: taken at the run, or since
        current = services.current_decisions(web.session, actor.org, [
            {"query": r["query"], "list": r["list"], "entity_id": r["entity_id"], "refinements": r["refinements"]}
            for r in rows])
    except PinchpointError as exc:
        return _error_page(request, exc)
    for row, now in zip(rows, current, strict=True):
        status = services.status_of(now)
        row["status"] = status
        row["decision"], row["reason"] = ("", "") if status == "alert" else (status, now["review"]["reason"])
    return render(request, "alerts.html", job=job, rows=rows[:500], can_review=actor.role.at_least(Role.ANALYST))


# controls --------------------------------------------------------------------------------------------------
JURISDICTIONS = ("US", "EU", "JP")


@router.get("/controls")
def controls_page(request: Request, q: str = "", code: str = "", source: str = "", target: str = "",
                  scope: str = "", first: str = "", second: str = "") -> Response:
    """Search, an entry across jurisdictions, the crosswalk of two lists, and the diff between two lists or two
    dated versions of one (``US@2024-09-01``)."""
    session = _web(request).session
    results: ResultTable | None = None
    entry: ResultTable | None = None
    walk: ResultTable | None = None
    diff: ResultTable | None = None
    error = ""
    versions: list[dict[str, Any]] = []
    scope = scope.strip()[:40]
    first, second = first.strip()[:40], second.strip()[:40]
    try:
        wants_walk = source in JURISDICTIONS and target in JURISDICTIONS and source != target
        if q.strip():
            results = session.controls.search(q[:200], limit=25)
        if code.strip():
            entry = session.controls.show(code[:40])
        if wants_walk:
            walk = session.controls.crosswalk(source, target, scope or None)
        if first and second:
            diff = session.controls.diff(first, second, scope or None)
        if session.workspace_exists():
            versions = session.controls.versions().records()
    except PinchpointError as exc:  # no lists loaded, an unknown code, scope or date
        if _denied(exc):
            return _error_page(request, exc)
        error = _message(exc)
    diff_columns: list[str] = []
    if diff is not None:
        from pinchpoint.session.controls import compare_columns

        diff_columns = [c for c in compare_columns(diff) if c in diff.columns]
    tables = [t for t in (walk, diff) if t is not None]
    return render(request, "controls.html", q=q[:200], code=code[:40], error=error, jurisdictions=JURISDICTIONS,
                  source=source, target=target, scope=scope, first=first, second=second, versions=versions,
                  results=results.records() if results is not None else [],
                  result_columns=[c for c in (results.columns if results is not None else ())][:6],
                  entry=entry.records() if entry is not None else [],
                  entry_columns=[c for c in (entry.columns if entry is not None else ())][:7],
                  walk=walk, walk_rows=list(walk.rows[:300]) if walk is not None else [],
                  walk_columns=list(walk.columns[:7]) if walk is not None else [],
                  diff=diff, diff_rows=list(diff.rows[:300]) if diff is not None else [], diff_columns=diff_columns,
                  caveats=[c for t in tables for c in t.caveats])


# trade -----------------------------------------------------------------------------------------------------
TRADE_QUERIES = ("growth", "dependence", "circumvention")


def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text.upper()) if c][:200]


def trade_query(session: Session, query: str, form: dict[str, str]) -> ResultTable:
    """The trade query ``query`` with the page's fields (parsed here, answered by the Session's trade group)."""
    sources = _codes(form.get("sources", "")) or None
    if query == "growth":
        return session.trade.growth(_codes(form.get("reporters", "")), _codes(form.get("partners", "")),
                                    codes=_codes(form.get("codes", "")), base=form.get("base", "2021")[:20],
                                    compare=form.get("compare", "2022")[:20], flow=form.get("flow", "export")[:10],
                                    sources=sources)
    if query == "dependence":
        return session.trade.dependence(_codes(form.get("importers", "")) or None,
                                        codes=_codes(form.get("codes", "")), period=form.get("period", "")[:20] or None,
                                        sources=sources)
    if query == "circumvention":
        try:
            baseline = float(form.get("min_baseline") or 5e5)
        except ValueError:
            raise BadArgumentError("min_baseline: a number of USD", parameter="min_baseline") from None
        return session.trade.circumvention(target=form.get("target", "RUS")[:3] or "RUS",
                                           hubs=_codes(form.get("hubs", "")) or None,
                                           event=form.get("event", "2022-02")[:7] or "2022-02",
                                           min_baseline=baseline, sources=sources, limit=100)
    raise BadArgumentError(f"query: one of {', '.join(TRADE_QUERIES)}", parameter="query")


def trade_words(query: str, form: dict[str, str]) -> tuple[list[str], list[tuple[str, Any]]]:
    """``pinchpoint trade <query>`` and its options for the page's fields (as :func:`trade_query` reads them;
    source names as typed, which the Session reads in any case)."""
    sources = [c for c in re.split(r"[\s,;]+", form.get("sources", "")) if c][:200]
    if query == "growth":
        options: list[tuple[str, Any]] = [
            ("--reporter", _codes(form.get("reporters", ""))), ("--partner", _codes(form.get("partners", ""))),
            ("--codes", _codes(form.get("codes", ""))), ("--base", form.get("base", "2021")[:20]),
            ("--compare", form.get("compare", "2022")[:20]), ("--flow", form.get("flow", "export")[:10])]
    elif query == "dependence":
        options = [("--importer", _codes(form.get("importers", ""))), ("--codes", _codes(form.get("codes", ""))),
                   ("--period", form.get("period", "")[:20])]
    else:
        options = [("--target", form.get("target", "RUS")[:3] or "RUS"), ("--hub", _codes(form.get("hubs", ""))),
                   ("--event", form.get("event", "2022-02")[:7] or "2022-02"),
                   ("--min-baseline", float(form.get("min_baseline") or 5e5)), ("--limit", 100)]
    return ["trade", query], [*options, ("--source", sources)]


def _period_x(period: str) -> float:
    """A period's place on the time axis in months ('2022-03' -> 2022*12+2, '2022' -> 2022*12), so months the
    source has no row for leave a gap of their width instead of being squeezed out."""
    year, _, month = period.partition("-")
    return float(int(year) * 12 + (int(month) - 1 if month else 0))


def evidence_charts(table: ResultTable, top: int = 6) -> list[tuple[dict[str, Any], str]]:
    """Each of the ``top`` alerts with a line chart of its evidence series (the scan's own ``period: value``
    pairs, drawn at their dates)."""
    from pinchpoint.reports.svg import line_chart

    out = []
    for r in [dict(x) for x in table.rows[:top]]:
        points: list[tuple[float, float]] = []
        ticks: dict[float, str] = {}
        evidence = [str(item).partition(": ") for item in r.get("evidence") or []]
        dated = all(re.fullmatch(r"\d{4}(-\d{2})?", period) for period, _, _ in evidence)
        for k, (period, _, value) in enumerate(evidence):
            x = _period_x(period) if dated else float(k)  # periods of another form: in order, evenly spaced
            points.append((x, float(value)))
            if not dated or len(period) == 4 or period.endswith("-01"):
                ticks[x] = period[:4] if dated else period
        chart = line_chart({f"{r['exporter']} -> {r['hub']}": points}, title=str(r["product"]),
                           y_label="USD per period", x_ticks=ticks)
        out.append((r, chart))
    return out


@router.get("/trade")
def trade_page(request: Request, query: str = "") -> Response:
    web = _web(request)
    session = web.session
    form = {k: v[:400] for k, v in request.query_params.items() if k in TRADE_FIELDS}
    error = ""
    table: ResultTable | None = None
    imports: ResultTable | None = None
    try:
        imports = session.trade.imports()
        if query in TRADE_QUERIES and request.query_params.get("run"):
            table = trade_query(session, query, form)
            if request.query_params.get("fmt") in FORMATS:
                fmt = str(request.query_params["fmt"])
                session.authorize("trade.export", "trade:*")
                session.record("export", f"trade:{query}", {"format": fmt, "rows": len(table), "form": form})
                return _download(table, f"trade-{query}", fmt, trade_words(query, form),
                                 describedby=_sidecar_url(request))
    except PinchpointError as exc:
        if _denied(exc):
            return _error_page(request, exc)
        error = _message(exc)
    columns: list[str] = []
    if table is not None:
        from pinchpoint.session.trade import CIRCUMVENTION_COLUMNS, GROWTH_COLUMNS, SUPPLIER_COLUMNS

        wanted = {"growth": GROWTH_COLUMNS, "dependence": SUPPLIER_COLUMNS,
                  "circumvention": CIRCUMVENTION_COLUMNS}[query]
        columns = [c for c in wanted if c in table.columns]
    download_query = "&".join(f"{k}={quote_plus(v)}" for k, v in {**form, "query": query, "run": "1"}.items())
    return render(request, "trade.html", imports=imports.records() if imports is not None else [],
                  formats_in=trade_formats(), can_import=_actor(request).role.at_least(Role.ANALYST),
                  import_columns=list(imports.columns) if imports is not None else [],
                  import_caveats=list(imports.caveats) if imports is not None else [],
                  query=query if query in TRADE_QUERIES else "growth", queries=TRADE_QUERIES, form=form,
                  error=error, table=table, columns=columns, rows=list(table.rows[:300]) if table is not None else [],
                  caveats=list(table.caveats) if table is not None else [], formats=list(FORMATS),
                  download_query=download_query,
                  charts=evidence_charts(table) if table is not None and query == "circumvention" else [])


MAX_SHOWN_PROBLEMS = 300  # on the page; the downloads hold every one


def trade_formats() -> list[str]:
    """The trade sources an upload may name (every registered one), 'auto' first."""
    from pinchpoint import sources

    return ["auto", *sorted(s.name for s in sources.all_sources("trade"))]


@router.post("/trade/import")
async def trade_import(request: Request, file: Annotated[UploadFile, File()],
                       fmt: Annotated[str, Form(alias="format", max_length=40)] = "auto",
                       replace: Annotated[str, Form(max_length=5)] = "",
                       csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Import trade files sent from the page as a job; its page shows every problem by file, row and field, grouped
    by reason, and offers them all for download."""
    from pinchpoint.trade.upload import problem_kinds_table, problem_records, problems_table

    web, actor = _web(request), _actor(request)
    session = web.session
    try:
        _check_csrf(request, csrf_token)
        session.authorize("trade.import", "trade:*")
        if fmt not in trade_formats():
            raise NotFoundError(f"no trade format {fmt[:40]!r}", what="trade format", value=fmt[:40],
                                suggestions=trade_formats())
        data = await file.read()
        filename = Path(file.filename or "upload.csv").name[:200]
    except PinchpointError as exc:
        return _error_page(request, exc)
    job_id = web.jobs.new_id()
    job_dir = web.jobs_dir / job_id

    def work(progress: Any) -> dict[str, Any]:
        from pinchpoint.results.table import cli_command, sidecar_path, write_table

        summary: dict[str, Any] = {"file": filename, "format": fmt}
        try:
            frame = session.trade.upload(fmt, filename, data, replace=bool(replace), progress=progress)
        except DataError as exc:  # nothing could be read: nothing stored, every problem shown
            records = problem_records(exc.problems)
            source = fmt
            summary.update(status="refused", message=str(exc))
        else:
            records = problem_records(frame.problems)
            source = frame.source
            summary.update(status=frame.status or "imported", source=frame.source, version=frame.version,
                           read=frame.read_rows, unit=frame.unit, kept=frame.kept, reported=frame.reported,
                           replaced=frame.replaced, notes=frame.notes[:20])
        problems = problems_table(records, source, filename)
        kinds = problem_kinds_table(records, source, filename)
        job_dir.mkdir(parents=True, exist_ok=True)
        files = []
        # the CLI's import with --problems writes the same rows
        command = cli_command(["trade", "import", fmt, filename], [("--replace", bool(replace))])
        for name, table in (("problems", problems), ("problems-by-reason", kinds)):
            table = table.with_command(command)
            for out in ("csv", "json"):
                path = write_table(table, job_dir / f"{name}.{out}")
                files += [path.name, sidecar_path(path).name] if out == "csv" else [path.name]
        return {**summary, "n_problems": len(records), "kinds": kinds.records(), "kind_columns": list(kinds.columns),
                "problems": records[:MAX_SHOWN_PROBLEMS], "problem_columns": list(problems.columns),
                "caveats": list(problems.caveats), "files": files}

    web.jobs.submit(actor, "trade_import", work, {"file": filename, "format": fmt}, job_id=job_id)
    return _back(f"/jobs/{job_id}")


# plan and trends ------------------------------------------------------------------------------------------
PLAN_TABS = ("incentives", "projects", "projection", "targets")


def plan_table(session: Session, tab: str, country: str) -> tuple[ResultTable, list[str]]:
    """The plan page's table ``tab`` (from the Session's plan group) and the columns shown of it."""
    from pinchpoint.session import plan

    wanted = country.strip().upper()[:3] or None
    if tab == "incentives":
        return session.plan.incentives(country=wanted), plan.AWARD_COLUMNS
    if tab == "projects":
        return session.plan.projects(country=wanted), plan.PROJECT_COLUMNS
    if tab == "projection":
        return session.plan.projection(country=wanted), plan.PROJECTION_COLUMNS
    if tab == "targets":
        return session.plan.targets(), plan.TARGET_COLUMNS
    raise NotFoundError(f"no tab {tab!r} (one of {', '.join(PLAN_TABS)})", what="tab", value=tab)


def plan_words(tab: str, country: str) -> tuple[list[str], list[tuple[str, Any]]]:
    """The command (``pinchpoint incentives``, ``projects``, ``projection``) asking a plan tab's question."""
    wanted = country.strip().upper()[:3] or None
    if tab == "targets":
        return ["projection"], [("--targets", True)]
    return [tab], [("--country", wanted)]


PLANNER_FIELDS = ("budget", "objective", "horizon", "coalition", "scenario", "target", "budgets")
PLANNER_TABLES = ("frontier", "portfolio", "effects", "excluded", "countries")
MAX_WEB_PLAN_SECONDS = 10.0  # per frontier point (the CLI's default is 30)
MAX_WEB_FRONTIER = 21


def run_planner(session: Session, form: dict[str, str], measures: Any = "example", measures_name: str = "example"
                ) -> tuple[Any, str]:
    """The planner on ``measures`` (the packaged example, or measures read from an upload by the Session) with the
    page's fields (read and checked by the Session, solved by its ``plan.plan``, the method ``pinchpoint plan``
    calls) and the command line that reproduces it."""
    inputs = session.plan.read_inputs(form, max_budgets=MAX_WEB_FRONTIER)
    result = session.plan.plan(measures, **inputs.arguments(), time_limit=MAX_WEB_PLAN_SECONDS)
    return result, inputs.command(measures_name, MAX_WEB_PLAN_SECONDS)


def _planner_page(request: Request, form: dict[str, str], run: bool, fmt: str, table_name: str,
                  upload: tuple[str, bytes] | None = None) -> Response:
    """The planner tab: the form, and with ``run`` the planner's tables (or one as a download in ``fmt``), on the
    packaged example measures or on ``upload`` (file name, bytes), read by the Session."""
    from pinchpoint.session.plan import FRONTIER_COLUMNS, OBJECTIVES, PORTFOLIO_COLUMNS

    session = _web(request).session
    error = ""
    tables: list[tuple[str, ResultTable, list[str]]] = []
    command = ""
    measures_text = upload[1].decode("utf-8", "replace") if upload else ""
    if run:
        try:
            if upload is not None:
                measures: Any = session.plan.measures_from_upload(*upload)
                result, command = run_planner(session, form, measures, upload[0])
            else:
                result, command = run_planner(session, form)
            if fmt in FORMATS:
                # the output option that writes this file, as _download words it (parquet needs --output)
                written = "csv" if fmt == SIDECAR else fmt
                output = ["--format", "json"] if written == "json" else ["--output", f"plan-{table_name}.{written}"]
                table = result.table(table_name).with_command(
                    f"{command} {shlex.join(['--table', table_name, *output])}")  # every value quoted
                session.record("export", f"plan:{table_name}", {"format": fmt, "rows": len(table), "form": form,
                                                                 "measures": upload[0] if upload else "example"})
                return _download(table, f"plan-{table_name}", fmt, describedby=_sidecar_url(request))
            wanted = {"frontier": FRONTIER_COLUMNS, "portfolio": PORTFOLIO_COLUMNS}
            for name in PLANNER_TABLES:
                table = result.table(name).with_command(command)
                if name in ("excluded", "countries") and not len(table):
                    continue
                columns = [c for c in wanted.get(name, table.columns) if c in table.columns]
                tables.append((name, table, columns))
        except DataError as exc:  # the uploaded measures: every problem by file, row and field
            error = "; ".join(str(p) for p in exc.problems[:20])
        except PinchpointError as exc:
            if _denied(exc):
                return _error_page(request, exc)
            error = _message(exc)
    query = "&".join(f"{k}={quote_plus(v)}" for k, v in {**form, "tab": "planner", "run": "1"}.items())
    scenarios = [str(r["name"]) for r in session.stress.scenarios().rows]
    caveats = list(dict.fromkeys(c for _, t, _ in tables for c in t.caveats))
    return render(request, "plan.html", tab="planner", tabs=(*PLAN_TABS, "planner"), form=form, error=error,
                  objectives=OBJECTIVES, scenarios=scenarios, planner_tables=tables, command=command,
                  download_query=query, formats=list(FORMATS), caveats=caveats,
                  measures_name=upload[0] if upload else "", measures_text=measures_text,
                  can_run=_actor(request).role.at_least(Role.ANALYST))


@router.post("/plan/planner")
async def planner_with_measures(request: Request) -> Response:
    """The planner on a measures file sent from the page (CSV, YAML or JSON as ``pinchpoint plan --measures``
    reads); the results page carries the file's text in its download forms, so a download re-runs the same plan."""
    from starlette.concurrency import run_in_threadpool

    from pinchpoint.session.plan import MAX_MEASURES_BYTES

    async with request.form(max_files=1, max_fields=40, max_part_size=MAX_MEASURES_BYTES + 1024) as data:
        try:
            _check_csrf(request, str(data.get("csrf_token") or ""))
        except PinchpointError as exc:
            return _error_page(request, exc)
        form = {k: str(data.get(k) or "")[:200] for k in PLANNER_FIELDS if data.get(k) is not None}
        upload: tuple[str, bytes] | None = None
        sent = data.get("measures_file")
        if sent is not None and not isinstance(sent, str) and sent.filename:
            upload = (Path(sent.filename).name[:200], await sent.read(MAX_MEASURES_BYTES + 1))
        elif data.get("measures_text"):
            upload = (Path(str(data.get("measures_name") or "measures.yaml")).name[:200],
                      str(data.get("measures_text")).encode("utf-8"))
        fmt, table_name = str(data.get("fmt") or ""), str(data.get("table") or "portfolio")[:20]
    return await run_in_threadpool(_planner_page, request, form, True, fmt, table_name, upload)


@router.get("/plan")
def plan_page(request: Request, tab: str = "incentives", country: str = "", fmt: str = "") -> Response:
    session = _web(request).session
    if tab == "planner":
        form = {k: v[:200] for k, v in request.query_params.items() if k in PLANNER_FIELDS}
        return _planner_page(request, form, bool(request.query_params.get("run")), fmt,
                             request.query_params.get("table", "portfolio")[:20])
    if tab not in PLAN_TABS:
        tab = "incentives"
    try:
        table, wanted = plan_table(session, tab, country)
        if fmt in FORMATS:
            session.authorize("plan.export", f"{tab}:*")
            session.record("export", f"plan:{tab}", {"format": fmt, "rows": len(table), "country": country[:3]})
            return _download(table, f"plan-{tab}", fmt, plan_words(tab, country), describedby=_sidecar_url(request))
    except PinchpointError as exc:
        return _error_page(request, exc)
    columns = [c for c in wanted if c in table.columns]
    return render(request, "plan.html", tab=tab, tabs=(*PLAN_TABS, "planner"), country=country.strip().upper()[:3],
                  table=table, columns=columns, rows=list(table.rows[:300]), caveats=list(table.caveats),
                  formats=list(FORMATS))


TRENDS_VIEWS = ("history", "cycle", "forecast", "alerts")
FORECAST_WAIT_S = 30.0  # for a free forecast slot before answering 503


def history_chart(values: ResultTable, cycle: ResultTable, title: str, unit: str) -> str:
    """The series' history with each contraction (a peak to the next trough of the cycle table) shaded: a drawing
    of the Session's growth and cycle tables."""
    from pinchpoint.reports.svg import time_chart
    from pinchpoint.trends.series import parse_month

    def x(month: str) -> float:
        return parse_month(month) / 12.0

    history = [(x(r["month"]), float(r["value"])) for r in values.rows if r["value"] is not None]
    spans: list[tuple[float, float]] = []
    turns = list(cycle.rows)
    for first, second in pairwise(turns):
        if first["turn"] == "peak" and second["turn"] == "trough":
            spans.append((x(first["month"]), x(second["month"])))
    positive = bool(history) and all(v > 0 for _, v in history)
    wide = positive and max(v for _, v in history) > 100 * min(v for _, v in history)
    return time_chart({title: history}, title=title, y_label=unit, shaded=spans,
                      shaded_label="contraction (peak to trough)", log_y=wide)


def forecast_chart(values: ResultTable, forecast: ResultTable, unit: str) -> str:
    """The last five years and the forecast with its 80% interval (a drawing of the Session's tables)."""
    from pinchpoint.reports.svg import time_chart
    from pinchpoint.trends.series import parse_month

    def x(month: str) -> float:
        return parse_month(month) / 12.0

    history = [(x(r["month"]), float(r["value"])) for r in values.rows][-60:]
    if not history:
        return ""
    last = history[-1]
    path = [last] + [(x(r["month"]), float(r["forecast"])) for r in forecast.rows]
    band = [(last[0], last[1], last[1])] + [(x(r["month"]), float(r["lower_80"]), float(r["upper_80"]))
                                            for r in forecast.rows]
    return time_chart({"history": history, "forecast": path}, title="Forecast with its 80% interval",
                      y_label=unit, band=("80% interval", band))


@router.get("/trends")
def trends_page(request: Request, series: str = "", view: str = "history") -> Response:
    session = _web(request).session
    if view not in TRENDS_VIEWS:
        view = "history"
    series = series.strip()[:100]
    tables: list[tuple[str, ResultTable]] = []
    chart = ""
    error = ""
    held = ResultTable("trends_series", (), ())
    try:
        held = session.trends.list()
        if view == "alerts":
            from pinchpoint.trends.alerts import packaged_rules

            tables.append(("Alerts", session.trends.watch(sorted(packaged_rules())[0])))
        elif series:
            shown = session.trends.show(series)
            cycle = session.trends.cycle(series)
            unit = str(next((r["unit"] for r in held.rows if r["id"] == series.partition("@")[0]), ""))
            if view == "history":
                chart = history_chart(shown.table, cycle, shown.title, unit)
                tables.append(("Growth", ResultTable(shown.table.name, shown.table.columns,
                                                     tuple(reversed(shown.table.rows)), shown.table.meta)))
            elif view == "cycle":
                chart = history_chart(shown.table, cycle, shown.title, unit)
                tables.append(("Turning points", cycle))
            else:
                web = _web(request)
                who = _actor(request).username
                if web.forecast_limit is not None and not web.forecast_limit.allow(who):
                    return _too_many(request, web.forecast_limit.retry_after(who),
                                     "Too many forecasts in a minute: wait a moment.")
                # this route is a plain function: it runs in a worker thread, never on the event loop; a slot
                # bounds how many forecasts share the CPU at once
                if not web.forecast_slots.acquire(timeout=FORECAST_WAIT_S):
                    response = render(request, "error.html", status=503,
                                      error="The server is busy with other forecasts: try again shortly.")
                    response.headers["retry-after"] = "10"
                    return response
                try:
                    result = session.trends.forecast(series)
                finally:
                    web.forecast_slots.release()
                chart = forecast_chart(shown.table, result.forecast, unit)
                tables += [("Forecast", result.forecast), ("Backtest accuracy", result.accuracy)]
    except PinchpointError as exc:
        if _denied(exc):
            return _error_page(request, exc)
        error = _message(exc)
    return render(request, "trends.html", held=held.records(), series=series, view=view, views=TRENDS_VIEWS,
                  chart=chart, error=error,
                  tables=[(title, t, list(t.columns[:9]), list(t.rows[:240])) for title, t in tables],
                  caveats=[c for _, t in tables for c in t.caveats])


# the user's own account ---------------------------------------------------------------------------------
@router.get("/account")
def account_page(request: Request) -> Response:
    return render(request, "account.html")


@router.post("/account/password")
def change_password(request: Request, current: Annotated[str, Form(max_length=1024)],
                    new: Annotated[str, Form(max_length=1024)],
                    csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        if not web.store.check_password(actor.username, current):
            raise PinchpointError("the current password is not right")
        web.store.set_password(actor.username, new, actor)  # ends every session of the account
    except PinchpointError as exc:
        return _error_page(request, exc)
    request.session["gen"] = web.store.session_generation(actor.user_id)  # except this one, which changed it
    _flash(request, "Password changed.")
    return _back("/account")


@router.post("/account/key")
def create_key(request: Request, label: Annotated[str, Form(max_length=100)] = "",
               csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        key = web.store.create_api_key(actor, label.strip())
    except PinchpointError as exc:
        return _error_page(request, exc)
    return render(request, "account.html", new_key=key)


# administration -----------------------------------------------------------------------------------------
@router.get("/admin")
def admin_page(request: Request) -> Response:
    from pinchpoint.accounts.store import audit_table

    web, actor = _web(request), _actor(request)
    try:
        web.store.check(actor, "manage_users")
    except PinchpointError as exc:
        return _error_page(request, exc)
    from pinchpoint.accounts import oidc

    store = web.store
    trail = audit_table(store, 50)
    sso = next((p for p in oidc.providers(store) if p.org == actor.org), None)
    return render(request, "admin.html", users=store.users(actor.org), orgs=store.orgs(), sso=sso,
                  audit=list(reversed(trail.rows)), verification=str(store.verify_audit()),
                  roles=[r.value for r in Role])


@router.post("/admin/users")
def add_user(request: Request, username: Annotated[str, Form(max_length=64)],
             password: Annotated[str, Form(max_length=1024)], role: Annotated[str, Form(max_length=10)],
             csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        if role not in {r.value for r in Role}:
            raise PinchpointError("role is viewer, analyst or admin")
        web.store.create_user(username, password, actor.org, role, by=actor)
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, f"User {username} added.")
    return _back("/admin")


@router.post("/admin/role")
def change_role(request: Request, username: Annotated[str, Form(max_length=64)],
                role: Annotated[str, Form(max_length=10)], csrf_token: Annotated[str, Form(max_length=100)] = ""
                ) -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        web.store.set_role(username, role, by=actor)
    except (PinchpointError, ValueError) as exc:
        return _error_page(request, exc)
    _flash(request, f"{username} is now {role}.")
    return _back("/admin")

