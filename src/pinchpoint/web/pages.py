"""The workbench's pages: each parses the form, asks the library (through ``services``) and renders a template.
Templates autoescape everything: names from lists and uploads are hostile input."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pinchpoint.accounts.jobs import get_job, recent_jobs
from pinchpoint.accounts.model import RESOURCE_KINDS, Actor, Role, Visibility
from pinchpoint.accounts.policy import AccessDenied
from pinchpoint.errors import DataError, PinchpointError
from pinchpoint.web.i18n import LANGUAGES, pick_language, translations
from pinchpoint.web.security import csrf_ok, csrf_token

router = APIRouter(include_in_schema=False)
MAX_BATCH_ROWS = 5_000
NAV = [("/", "Overview"), ("/supply-chain", "Supply chain"), ("/stress", "Stress"), ("/trade", "Trade"),
       ("/controls", "Controls"), ("/screening", "Screening")]
ANALYSES = ("chokepoints", "exposure", "concentration")
FORMATS = {"csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet"}


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(files("pinchpoint.web") / "templates")),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * float(v):.1f}%"
    return env


def _num(value: Any) -> str:
    from pinchpoint.results.table import format_float

    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return str(format_float(value))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _web(request: Request) -> Any:
    return request.app.state.web


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


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _error_page(request: Request, exc: Exception) -> HTMLResponse:
    status = 403 if isinstance(exc, AccessDenied) else 400
    return render(request, "error.html", status=status, error=str(exc), denied=isinstance(exc, AccessDenied))


# sign-in ----------------------------------------------------------------------------------------------
@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form(max_length=100)] = ""
          ) -> Response:
    web = _web(request)
    if not csrf_ok(request.session, csrf_token):
        return render(request, "login.html", status=400, error="The form expired: please sign in again.")
    client = request.client.host if request.client else "?"
    key = f"{client}|{username.lower()}"
    if not web.sign_in_limit.allow(key) or not web.sign_in_address_limit.allow(client):
        wait = web.sign_in_limit.retry_after(key)
        return render(request, "login.html", status=429, error="Too many attempts: wait a minute.",
                      retry_after=wait)
    actor = web.context.store.authenticate(username, password, source=client)
    if actor is None:
        return render(request, "login.html", status=401, error="Wrong user name or password.")
    request.session.clear()  # a new session on sign-in: no fixation
    request.session.update({"uid": actor.user_id, "lang": pick_language(None, request.headers.get("accept-language"))})
    return _back("/")


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    _check_csrf(request, csrf_token)
    actor = _actor(request)
    _web(request).context.store.audit(actor, "sign_out", f"user:{actor.username}")
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
@router.get("/")
def overview(request: Request, dataset: str = "builtin") -> Response:
    web, actor = _web(request), _actor(request)
    try:
        chain = web.context.chain(actor, dataset[:100])
        exposure = web.context.analysis(actor, dataset, "exposure")
        choke = web.context.analysis(actor, dataset, "chokepoints")
        world = web.context.world_map(actor, dataset)
    except PinchpointError as exc:
        return _error_page(request, exc)
    target = exposure.rows[0]["target_name"] if exposure.rows else ""
    return render(request, "overview.html", dataset=dataset, datasets=web.context.datasets(actor), chain=chain,
                  world=world, target=target, exposure=[r for r in exposure.rows if r["dependence"] > 0][:10],
                  chokepoints=list(choke.rows[:15]), n_chokepoints=len(choke.rows),
                  caveats=list(exposure.meta.get("caveats", [])) + list(choke.meta.get("caveats", [])))


@router.get("/supply-chain")
def supply_chain(request: Request) -> Response:
    web, actor = _web(request), _actor(request)
    rows = []
    for name, resource in web.context.datasets(actor):
        rows.append({"name": name, "resource": resource, "own": resource.owner_org == actor.org,
                     "common": not resource.owner_org})
    orgs = [o.name for o in web.context.store.orgs() if o.name != actor.org]
    return render(request, "supply_chain.html", datasets=rows, orgs=orgs,
                  can_upload=actor.role.at_least(Role.ANALYST), is_admin=actor.role is Role.ADMIN)


@router.post("/supply-chain/upload")
async def upload_dataset(request: Request, name: Annotated[str, Form(max_length=48)],
                         file: Annotated[UploadFile, File()],
                         csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        data = await file.read()
        result = web.context.upload_dataset(actor, name.strip(), file.filename or "upload", data)
    except DataError as exc:
        return render(request, "upload_problems.html", status=422, problem=exc, location=exc.location,
                      filename=file.filename or "")
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, f"Imported {result['name']} ({result['inputs']:,} inputs, version {result['version'][:12]}).")
    return _back(f"/supply-chain/{result['name']}")


@router.get("/supply-chain/{dataset}")
def dataset_page(request: Request, dataset: str, analysis: str = "chokepoints") -> Response:
    web, actor = _web(request), _actor(request)
    if analysis not in ANALYSES:
        analysis = "chokepoints"
    try:
        table = web.context.analysis(actor, dataset, analysis)
        chain = web.context.chain(actor, dataset)
    except PinchpointError as exc:
        return _error_page(request, exc)
    resource = web.context.store.resource_or_common("dataset", dataset)
    shown = [c for c in table.columns if c not in ("sources", "critical_path")][:10]
    return render(request, "dataset.html", dataset=dataset, chain=chain, analysis=analysis, analyses=ANALYSES,
                  table=table, columns=shown, rows=list(table.rows[:200]), resource=resource,
                  caveats=list(table.meta.get("caveats", [])), formats=list(FORMATS),
                  orgs=[o.name for o in web.context.store.orgs() if o.name != actor.org],
                  can_share=actor.role is Role.ADMIN and resource.owner_org == actor.org)


@router.get("/supply-chain/{dataset}/{analysis}.{fmt}")
def download(request: Request, dataset: str, analysis: str, fmt: str) -> Response:
    import tempfile

    from pinchpoint.results.table import write_table

    web, actor = _web(request), _actor(request)
    if analysis not in ANALYSES or fmt not in FORMATS:
        return _error_page(request, PinchpointError(f"download one of {', '.join(ANALYSES)} as "
                                                    f"{', '.join(FORMATS)}"))
    try:
        web.context.store.check(actor, "export", "dataset", dataset)
        table = web.context.analysis(actor, dataset, analysis)
    except PinchpointError as exc:
        return _error_page(request, exc)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(table, Path(tmp) / f"{analysis}.{fmt}")
        data = path.read_bytes()
    web.context.store.audit(actor, "export", f"dataset:{dataset}", {"analysis": analysis, "format": fmt,
                                                                     "rows": len(table)})
    return Response(data, media_type=FORMATS[fmt], headers={
        "content-disposition": f'attachment; filename="{dataset}-{analysis}.{fmt}"'})


@router.post("/share/{kind}/{key}")
def share(request: Request, kind: str, key: str, visibility: Annotated[str, Form(max_length=10)],
          orgs: Annotated[list[str] | None, Form()] = None, csrf_token: Annotated[str, Form(max_length=100)] = ""
          ) -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        if kind not in RESOURCE_KINDS:
            raise PinchpointError(f"unknown kind {kind!r}")
        store = web.context.store
        vis = Visibility(visibility) if visibility in {v.value for v in Visibility} else None
        if vis is None:
            raise PinchpointError("visibility is private, shared or public")
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
@router.get("/stress")
def stress_page(request: Request, scenario: str = "") -> Response:
    from pinchpoint.stress.scenario import packaged_scenarios

    web, actor = _web(request), _actor(request)
    known = packaged_scenarios()
    text = known[scenario].read_text(encoding="utf-8") if scenario in known else ""
    return render(request, "stress.html", scenarios=sorted(known), scenario=scenario, text=text,
                  jobs=recent_jobs(web.context.store, actor, "stress_job"),
                  can_run=actor.role.at_least(Role.ANALYST))


def _scenario_from_text(text: str) -> Any:
    import tempfile

    from pinchpoint.stress.scenario import Scenario
    from pinchpoint.yamlio import validate_model

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            scenario, lines = validate_model(path, Scenario)
        except DataError as exc:
            raise DataError(exc.problem, file="scenario (editor)", row=exc.location.row,
                            field=exc.location.field) from None
    scenario._lines = lines
    return scenario


@router.post("/stress/start")
def stress_run(request: Request, scenario: Annotated[str, Form(max_length=100)] = "",
               text: Annotated[str, Form(max_length=200_000)] = "", validate_only: Annotated[str, Form()] = "",
               csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    from pinchpoint.stress.scenario import load_scenario, packaged_scenarios

    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        if text.strip():
            sc = _scenario_from_text(text)
        elif scenario in packaged_scenarios():
            sc = load_scenario(scenario)
        else:
            raise PinchpointError("pick a packaged scenario or write one in the editor")
        if validate_only:
            _flash(request, f"The scenario '{sc.name}' is valid: {len(sc.shocks)} shocks over {sc.horizon_days} days.")
            return render(request, "stress.html", scenarios=sorted(packaged_scenarios()), scenario=scenario,
                          text=text, jobs=recent_jobs(web.context.store, actor, "stress_job"),
                          can_run=actor.role.at_least(Role.ANALYST), valid=True)
        web.context.store.check(actor, "run", "scenario", sc.name)
    except DataError as exc:
        return render(request, "stress.html", status=422, scenarios=sorted(packaged_scenarios()), scenario=scenario,
                      text=text, jobs=recent_jobs(web.context.store, actor, "stress_job"),
                      can_run=actor.role.at_least(Role.ANALYST), problem=exc)
    except PinchpointError as exc:
        return _error_page(request, exc)
    job_id = web.jobs.new_id()
    job_dir = web.context.jobs_dir / job_id

    def work(progress: Any) -> dict[str, Any]:
        from pinchpoint.results.table import write_table
        from pinchpoint.stress.engines import run_dynamic
        from pinchpoint.stress.network import StressNetwork
        from pinchpoint.supplychain.load import load_chain

        chain = load_chain(sc.dataset_ref())
        net = StressNetwork.build(chain)
        result = run_dynamic(net, sc, runs=1, seed=0, progress=lambda d, t: progress(d, t, "days simulated"))
        table = result.summary.with_command(f"pinchpoint stress {sc.name}")
        job_dir.mkdir(parents=True, exist_ok=True)
        write_table(table, job_dir / "results.csv")
        write_table(table, job_dir / "results.json")
        return {"scenario": sc.name, "title": sc.title, "columns": list(table.columns),
                "rows": table.records()[:100], "n_rows": len(table), "caveats": list(table.meta.get("caveats", [])),
                "files": ["results.csv", "results.json"]}

    web.jobs.submit(actor, "stress_job", work, {"scenario": sc.name}, job_id=job_id)
    web.context.store.audit(actor, "stress_run", f"scenario:{sc.name}", {"job": job_id})
    return _back(f"/jobs/{job_id}")


# jobs --------------------------------------------------------------------------------------------------------
def _job_for(request: Request, job_id: str) -> Any:
    web, actor = _web(request), _actor(request)
    job = get_job(web.context.store, job_id[:32])
    if job is None:
        raise PinchpointError(f"no job {job_id[:32]!r}")
    web.context.store.check(actor, "read", job.kind, job.id)
    return job


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    try:
        job = _job_for(request, job_id)
    except PinchpointError as exc:
        return _error_page(request, exc)
    return render(request, "job.html", job=job)


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: str) -> Response:
    try:
        job = _job_for(request, job_id)
    except AccessDenied as exc:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    except PinchpointError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)
    return JSONResponse({"status": job.status, "done": job.done, "total": job.total, "label": job.label,
                         "percent": job.percent, "error": job.error})


@router.get("/jobs/{job_id}/files/{name}")
def job_file(request: Request, job_id: str, name: str) -> Response:
    web, actor = _web(request), _actor(request)
    try:
        job = _job_for(request, job_id)
        if name not in job.result.get("files", []):
            raise PinchpointError(f"job {job.id} has no file {name!r}")
    except PinchpointError as exc:
        return _error_page(request, exc)
    web.context.store.audit(actor, "export", f"{job.kind}:{job.id}", {"file": name})
    prefix = "stress" if job.kind == "stress_job" else "screening"
    return FileResponse(web.context.jobs_dir / job.id / name, filename=f"{prefix}-{job.id}-{name}")


# screening ------------------------------------------------------------------------------------------------
def _screener(request: Request) -> tuple[Any, dict[str, str]]:
    return _web(request).context.screener(_actor(request))  # type: ignore[no-any-return]


@router.get("/screening")
def screening_page(request: Request, q: str = "", threshold: float = 0.8) -> Response:
    web, actor = _web(request), _actor(request)
    q = q[:500]
    threshold = min(1.0, max(0.5, threshold))
    matches: list[dict[str, Any]] = []
    note, versions = "", dict[str, str]()
    error = ""
    if q.strip():
        client = request.client.host if request.client else "?"
        if not web.screening_limit.allow(f"{actor.username}|{client}"):
            return render(request, "error.html", status=429, error="Too many screenings in a minute: wait a moment.")
        try:
            screener, versions = _screener(request)
            matches = web.reviews.annotate(actor, q, screener.screen(q, threshold=threshold))
            note = screener.unscreenable(q) or ""
        except AccessDenied as exc:
            return _error_page(request, exc)
        except PinchpointError as exc:  # no lists loaded yet, an option out of range
            error = str(exc)
        if not error:
            web.context.store.audit(actor, "screening", "query", {
                "query": q, "threshold": threshold, "lists": versions,
                "results": [{"list": m["list"], "entity_id": m["entity_id"], "score": m["score"]} for m in matches],
                "decision": None})
    return render(request, "screening.html", q=q, threshold=threshold, matches=matches, note=note,
                  versions=versions, error=error, jobs=recent_jobs(web.context.store, actor, "screening_job"),
                  can_review=actor.role.at_least(Role.ANALYST))


@router.post("/screening/review")
def review(request: Request, query: Annotated[str, Form(max_length=500)],
           list_name: Annotated[str, Form(max_length=200)], entity_id: Annotated[str, Form(max_length=200)],
           decision: Annotated[str, Form(max_length=20)], reason: Annotated[str, Form(max_length=1000)] = "",
           back: Annotated[str, Form(max_length=300)] = "", csrf_token: Annotated[str, Form(max_length=100)] = ""
           ) -> Response:
    from urllib.parse import quote

    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        web.reviews.decide(actor, query, list_name, entity_id, decision, reason)
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, f"Decision recorded: {decision.replace('_', ' ')} for {entity_id} ({list_name}).")
    if back.startswith("/jobs/") and not back.startswith("//"):
        return _back(back)
    return _back(f"/screening?q={quote(query)}")


@router.post("/screening/batch")
async def screening_batch(request: Request, file: Annotated[UploadFile, File()],
                          name_column: Annotated[str, Form(max_length=100)] = "name",
                          threshold: Annotated[float, Form(ge=0.5, le=1.0)] = 0.8,
                          csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    from pinchpoint.web.services import read_names, screen_batch

    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        web.context.store.check(actor, "upload")
        data = await file.read()
        filename = Path(file.filename or "upload.csv").name[:100]
        rows = read_names(data, filename, name_column.strip() or "name", MAX_BATCH_ROWS)
        screener, versions = _screener(request)
    except PinchpointError as exc:
        return _error_page(request, exc)
    job_id = web.jobs.new_id()
    job_dir = web.context.jobs_dir / job_id

    def work(progress: Any) -> dict[str, Any]:
        result = screen_batch(screener, web.reviews, actor, rows, threshold, job_dir, progress)
        web.context.store.audit(actor, "screening_batch", f"screening_job:{job_id}", {
            "file": filename, "rows": result["rows"], "alerts": result["alerts"], "lists": versions,
            "threshold": threshold, "remembered_false_positives": result["remembered"]})
        return {**result, "lists": versions, "file": filename}

    web.jobs.submit(actor, "screening_job", work, {"file": filename, "rows": len(rows)}, job_id=job_id)
    web.context.store.audit(actor, "upload", f"screening_job:{job_id}", {"file": filename, "bytes": len(data)})
    return _back(f"/jobs/{job_id}")


@router.get("/jobs/{job_id}/alerts")
def job_alerts(request: Request, job_id: str) -> Response:
    web, actor = _web(request), _actor(request)
    try:
        job = _job_for(request, job_id)
        path = web.context.jobs_dir / job.id / "results.json"
        document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"rows": []}
    except PinchpointError as exc:
        return _error_page(request, exc)
    rows = document.get("rows", [])
    # decisions made since the run are shown too
    for row in rows:
        if row.get("entity_id"):
            known = web.reviews.for_query(actor, row["query"]).get((row["list"], row["entity_id"]))
            if known:
                row["decision"], row["reason"], row["status"] = known["decision"], known["reason"], known["decision"]
    return render(request, "alerts.html", job=job, rows=[r for r in rows if r.get("entity_id")][:500],
                  can_review=actor.role.at_least(Role.ANALYST))


# controls and trade ---------------------------------------------------------------------------------------
JURISDICTIONS = ("US", "EU", "JP")


@router.get("/controls")
def controls_page(request: Request, q: str = "", code: str = "", source: str = "", target: str = "",
                  scope: str = "") -> Response:
    actor = _actor(request)
    results: list[dict[str, Any]] = []
    entry: list[dict[str, Any]] = []
    walk: Any = None
    error = ""
    scope = scope.strip()[:40]
    try:
        wants_walk = source in JURISDICTIONS and target in JURISDICTIONS and source != target
        if q.strip() or code.strip() or wants_walk:
            lists = _web(request).context.control_lists(actor)
            if q.strip():
                from pinchpoint.controls.search import ControlIndex

                results = ControlIndex([e for c in lists for e in c.entries]).search(q[:200], limit=25).records()
            if code.strip():
                from pinchpoint.controls.views import show_entry

                entry = show_entry(lists, code[:40]).records()
            if wants_walk:
                from pinchpoint.controls.crosswalk import alignment

                walk = alignment(list(lists), [source, target], scope or None)
    except AccessDenied as exc:
        return _error_page(request, exc)
    except PinchpointError as exc:  # no lists loaded, an unknown code or scope
        error = str(exc)
    return render(request, "controls.html", q=q[:200], code=code[:40], results=results, entry=entry, error=error,
                  jurisdictions=JURISDICTIONS, source=source, target=target, scope=scope,
                  walk=walk, walk_rows=list(walk.rows[:300]) if walk is not None else [],
                  walk_columns=[c for c in walk.columns][:7] if walk is not None else [],
                  caveats=list(walk.meta.get("caveats", [])) if walk is not None else [])


@router.get("/trade")
def trade_page(request: Request) -> Response:
    from pinchpoint.workspace import Workspace

    web, actor = _web(request), _actor(request)
    imports: list[dict[str, Any]] = []
    error = ""
    try:
        web.context.store.check(actor, "read", "trade_import", "*")
        if (web.context.workspace / "workspace.duckdb").exists():
            with Workspace.open_reader(web.context.workspace) as ws:
                has = ws.con.execute("SELECT count(*) FROM information_schema.tables "
                                     "WHERE table_name = 'trade_imports'").fetchone()
                if has and has[0]:
                    imports = ws.query_table("trade_imports", "SELECT * FROM trade_imports ORDER BY 1, 2").records()
    except PinchpointError as exc:
        return _error_page(request, exc)
    if not imports:
        error = "No trade data imported yet (pinchpoint trade import FORMAT PATH)."
    columns = list(imports[0]) if imports else []
    return render(request, "trade.html", imports=imports, columns=columns, error=error)


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
        if not web.context.store.check_password(actor.username, current):
            raise PinchpointError("the current password is not right")
        web.context.store.set_password(actor.username, new, actor)
    except PinchpointError as exc:
        return _error_page(request, exc)
    _flash(request, "Password changed.")
    return _back("/account")


@router.post("/account/key")
def create_key(request: Request, label: Annotated[str, Form(max_length=100)] = "",
               csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    web, actor = _web(request), _actor(request)
    try:
        _check_csrf(request, csrf_token)
        key = web.context.store.create_api_key(actor, label.strip())
    except PinchpointError as exc:
        return _error_page(request, exc)
    return render(request, "account.html", new_key=key)


# administration -----------------------------------------------------------------------------------------
@router.get("/admin")
def admin_page(request: Request) -> Response:
    from pinchpoint.accounts.store import audit_table

    web, actor = _web(request), _actor(request)
    try:
        web.context.store.check(actor, "manage_users")
    except PinchpointError as exc:
        return _error_page(request, exc)
    store = web.context.store
    trail = audit_table(store, 50)
    return render(request, "admin.html", users=store.users(actor.org), orgs=store.orgs(),
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
        web.context.store.create_user(username, password, actor.org, role, by=actor)
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
        web.context.store.set_role(username, role, by=actor)
    except (PinchpointError, ValueError) as exc:
        return _error_page(request, exc)
    _flash(request, f"{username} is now {role}.")
    return _back("/admin")

