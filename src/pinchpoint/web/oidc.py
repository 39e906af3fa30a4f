"""OpenID Connect sign-in with an organisation's own identity provider (Authlib's Starlette client).

``GET /login/oidc/{org}`` sends the browser to the provider (authorization-code flow, PKCE with S256, a fresh state
and nonce kept in the signed session cookie); ``GET /login/oidc/{org}/callback`` takes the code back: Authlib checks
the state, exchanges the code with the PKCE verifier and the client secret, and verifies the ID token's signature
against the provider's published keys; the claims are checked here (issuer equal to the discovery document's,
audience our client id, not expired, the nonce we sent). :func:`pinchpoint.accounts.oidc.sign_in` then maps the
identity to an account of that organisation and writes the audit record.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from pinchpoint.accounts import oidc
from pinchpoint.errors import PinchpointError

router = APIRouter(include_in_schema=False)
PUBLIC_URL_ENV = "PINCHPOINT_PUBLIC_URL"  # https://workbench.example.gov, when a proxy hides the public address
LEEWAY_S = 60  # clock skew allowed on exp / iat / nbf
HTTP_TIMEOUT_S = 10.0
log = logging.getLogger("pinchpoint.web.oidc")
_clients: dict[tuple[str, ...], Any] = {}


def _client(prov: oidc.OidcProvider) -> Any:
    """The Authlib client of ``prov`` (held per configuration and secret, so the provider's metadata and keys are
    fetched once, and a changed configuration or rotated secret makes a new one)."""
    from pinchpoint.errors import import_extra

    starlette_client = import_extra("authlib.integrations.starlette_client", "web", "OpenID Connect sign-in")
    secret = prov.client_secret()
    digest = hashlib.sha256((secret or "").encode()).hexdigest()
    key = (prov.org, prov.updated_at, prov.discovery_url, prov.client_id, digest)
    client = _clients.get(key)
    if client is None:
        registry = starlette_client.OAuth()
        kwargs: dict[str, Any] = {"scope": "openid email profile", "code_challenge_method": "S256",
                                  "timeout": HTTP_TIMEOUT_S}
        if secret is None:
            kwargs["token_endpoint_auth_method"] = "none"
        client = registry.register(name=f"oidc_{prov.org}", server_metadata_url=prov.discovery_url,
                                   client_id=prov.client_id, client_secret=secret, client_kwargs=kwargs)
        for old in [k for k in _clients if k[0] == prov.org]:
            del _clients[old]
        _clients[key] = client
    return client


async def _issuer(client: Any, prov: oidc.OidcProvider) -> str:
    """The provider's issuer, which must be the discovery document's own address less the well-known path
    (OpenID Connect Discovery 1.0, 4.3), so a document cannot claim another issuer."""
    metadata = await client.load_server_metadata()
    issuer = str(metadata.get("issuer") or "")
    expected = prov.discovery_url[: -len("/.well-known/openid-configuration")]
    if issuer.rstrip("/") != expected.rstrip("/"):
        raise PinchpointError(f"the discovery document at {prov.discovery_url} names the issuer {issuer[:200]!r}, "
                              f"not {expected!r}")
    return issuer


def _redirect_uri(request: Request, org: str) -> str:
    base = os.environ.get(PUBLIC_URL_ENV, "").rstrip("/")
    path = request.app.url_path_for("oidc_callback", org=org)
    return f"{base}{path}" if base else str(request.url_for("oidc_callback", org=org))


def _failed(request: Request, org: str, message: str, status: int = 401) -> Response:
    from pinchpoint.web.pages import render

    return render(request, "login.html", status=status, error="Single sign-on failed.", detail=message[:500],
                  providers=oidc.providers(request.app.state.web.store))


@router.get("/login/oidc/{org}")
async def oidc_start(request: Request, org: str) -> Response:
    from starlette.concurrency import run_in_threadpool

    store = request.app.state.web.store
    try:
        prov = await run_in_threadpool(oidc.provider, store, org[:64])
        client = _client(prov)
        await _issuer(client, prov)
        return await client.authorize_redirect(request, _redirect_uri(request, prov.org))  # type: ignore[no-any-return]
    except PinchpointError as exc:
        return _failed(request, org, str(exc), status=404 if "no single sign-on" in str(exc) else 502)
    except Exception as exc:  # the provider unreachable or its document unreadable
        log.warning("OpenID Connect start for %s failed: %s", org[:64], exc)
        return _failed(request, org, f"the identity provider could not be reached: {type(exc).__name__}", 502)


@router.get("/login/oidc/{org}/callback", name="oidc_callback")
async def oidc_callback(request: Request, org: str) -> Response:
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError
    from starlette.concurrency import run_in_threadpool

    web = request.app.state.web
    source = request.client.host if request.client else "?"
    try:
        prov = await run_in_threadpool(oidc.provider, web.store, org[:64])
    except PinchpointError as exc:
        return _failed(request, org, str(exc), 404)
    reason = ""
    try:
        client = _client(prov)
        issuer = await _issuer(client, prov)
        claims_options = {"iss": {"essential": True, "value": issuer},
                          "aud": {"essential": True, "value": prov.client_id},
                          "sub": {"essential": True}, "exp": {"essential": True}, "iat": {"essential": True}}
        token = await client.authorize_access_token(request, claims_options=claims_options, leeway=LEEWAY_S)
        claims = token.get("userinfo")
        if not claims:  # no ID token in the answer: nothing verified, nobody signed in
            raise PinchpointError("the identity provider answered without an ID token")
    except OAuthError as exc:  # state mismatch, an error from the provider, a refused code
        reason = f"{exc.error}: {exc.description}" if getattr(exc, "description", None) else str(exc.error)
    except JoseError as exc:  # bad signature, wrong issuer or audience, expired, wrong nonce
        reason = f"ID token rejected: {exc.error}" + (f" ({exc.description})" if exc.description else "")
    except PinchpointError as exc:
        reason = str(exc)
    except Exception as exc:  # the provider unreachable, a malformed answer
        log.warning("OpenID Connect callback for %s failed: %s", prov.org, exc)
        reason = f"the identity provider's answer could not be used: {type(exc).__name__}"
    if reason:
        web.store.audit(f"oidc:{prov.org}", "sign_in_failed", f"org:{prov.org}",
                        {"source": source, "via": "oidc", "reason": reason[:500]})
        return _failed(request, prov.org, reason)
    try:
        actor = await run_in_threadpool(oidc.sign_in, web.store, prov, issuer, dict(claims), source=source)
    except oidc.SignInRefused as exc:
        return _failed(request, prov.org, str(exc), 403)
    from pinchpoint.web.i18n import pick_language

    request.session.clear()  # a new session on sign-in: no fixation (and the flow's state is spent)
    request.session.update({"uid": actor.user_id, "via": "oidc", "gen": web.store.session_generation(actor.user_id),
                            "lang": pick_language(None, request.headers.get("accept-language"))})
    return RedirectResponse("/", status_code=303)
