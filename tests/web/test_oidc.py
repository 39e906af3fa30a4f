"""OpenID Connect sign-in against a small identity provider this test starts itself (FastAPI on the loopback
address, its RSA keys generated here): discovery, an authorization endpoint that checks PKCE's parameters, a token
endpoint that checks the client secret and the PKCE verifier, and JWKS. Each case makes the provider misbehave one
way and checks the workbench refuses, records the refusal, and signs nobody in."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

pytest.importorskip("authlib", reason="single sign-on needs the 'web' extra")

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from tests.web.conftest import PASSWORD, make_workbench, sign_in

CLIENT_ID = "pinchpoint-workbench"
SECRET = "s3cr3t-" + "q" * 30  # the client secret: must appear in no audit record and no page
SECRET_ENV = "PINCHPOINT_TEST_OIDC_SECRET"


@dataclass
class Provider:
    """The test's identity provider: what it issues is steered by ``mode``."""

    base: str = ""
    mode: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    verifier_checked: list[bool] = field(default_factory=list)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _provider_app(idp: Provider) -> Any:
    from joserfc import jwt
    from joserfc.jwk import KeySet, RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    rogue = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)  # same kid, not published
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {"issuer": idp.mode.get("issuer", idp.base), "authorization_endpoint": f"{idp.base}/authorize",
                "token_endpoint": f"{idp.base}/token", "jwks_uri": f"{idp.base}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return KeySet([key]).as_dict(private=False)

    @app.get("/authorize")
    def authorize(request: Request) -> Any:
        q = request.query_params
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
        assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) >= 43
        assert "openid" in q["scope"].split()
        code = secrets.token_urlsafe(16)
        idp.codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"], "redirect_uri": q["redirect_uri"]}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302)

    @app.post("/token")
    def token(request: Request, grant_type: str = Form(), code: str = Form(), redirect_uri: str = Form(),
              code_verifier: str = Form()) -> Any:
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        if auth != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        issued = idp.codes.pop(code, None)
        if grant_type != "authorization_code" or issued is None or issued["redirect_uri"] != redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        ok = _b64(hashlib.sha256(code_verifier.encode()).digest()) == issued["challenge"]
        idp.verifier_checked.append(ok)
        if not ok:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verifier"}, status_code=400)
        now = int(time.time())
        claims = {"iss": idp.base, "sub": idp.mode.get("sub", "idp-user-1"), "aud": idp.mode.get("aud", CLIENT_ID),
                  "iat": now + idp.mode.get("shift", 0), "exp": now + 300 + idp.mode.get("shift", 0),
                  "nonce": idp.mode.get("nonce", issued["nonce"]),
                  "preferred_username": idp.mode.get("username", "hanako"), "email": "hanako@meti.example"}
        signer = rogue if idp.mode.get("rogue") else key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, signer)
        return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                "id_token": id_token}

    return app


@pytest.fixture(scope="module")
def idp() -> Iterator[Provider]:
    import uvicorn

    provider = Provider()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    provider.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(_provider_app(provider), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the test identity provider did not start"
    yield provider
    server.should_exit = True
    thread.join(5)


@pytest.fixture()
def workbench_sso(tmp_path: Path, idp: Provider, cheap_hashes: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    from pinchpoint.accounts import oidc
    from pinchpoint.accounts.model import Actor

    monkeypatch.setenv(SECRET_ENV, SECRET)
    idp.mode.clear()
    app = make_workbench(tmp_path)
    oidc.configure(app.state.web.store, "meti", idp.base, CLIENT_ID, by=Actor.system(), secret_env=SECRET_ENV,
                   label="METI identity")
    return app


def _sso(app: Any, *, tamper_state: bool = False) -> tuple[Any, Any]:
    """Walk the flow as a browser: the workbench's redirect, the provider's, the callback. Returns the client
    (holding the session cookie) and the callback's response."""
    import httpx
    from fastapi.testclient import TestClient

    client = TestClient(app)
    start = client.get("/login/oidc/meti", follow_redirects=False)
    assert start.status_code == 302, start.text[:500]
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/login/oidc/meti/callback"
    params = parse_qs(back.query)
    if tamper_state:
        params["state"] = ["forged-" + params["state"][0][:10]]
    callback = client.get(back.path + "?" + urlencode({k: v[0] for k, v in params.items()}), follow_redirects=False)
    return client, callback


def _login_page(app: Any) -> str:
    from fastapi.testclient import TestClient

    html = TestClient(app).get("/login").text
    assert 'href="/login/oidc/meti"' in html and "METI identity" in html  # the organisation's button
    return str(html)


def _anonymous(client: Any) -> bool:
    """Whether the client is signed out (a page request is sent to the sign-in page)."""
    response = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    return response.status_code == 303 and response.headers["location"] == "/login"  # type: ignore[no-any-return]


def _records(app: Any, action: str) -> list[Any]:
    return [r for r in app.state.web.store.audit_records() if r.action == action]


def test_good_sign_in_makes_a_viewer_of_the_organisation_and_is_audited(workbench_sso: Any, idp: Provider) -> None:
    store = workbench_sso.state.web.store
    client, callback = _sso(workbench_sso)
    assert callback.status_code == 303 and callback.headers["location"] == "/"
    assert idp.verifier_checked[-1] is True  # the token endpoint got the PKCE verifier matching the challenge
    user = store.user("hanako")
    assert user is not None and user.org == "meti" and user.role.value == "viewer"
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 200 and "hanako" in page.text
    sign_ins = [r for r in _records(workbench_sso, "sign_in") if r.actor == "hanako"]
    details = json.loads(sign_ins[0].details)
    assert len(sign_ins) == 1 and details["via"] == "oidc" and details["subject"] == "idp-user-1"
    assert details["issuer"] == idp.base
    assert any(r.target == "user:hanako" for r in _records(workbench_sso, "user_created"))
    # the second sign-in of the same subject is the same account, not a new one
    _, again = _sso(workbench_sso)
    assert again.status_code == 303
    assert [u.username for u in store.users("meti")].count("hanako") == 1
    assert not any(u.username.startswith("hanako-") for u in store.users())
    # the client secret is in no audit record and no page; where it is kept is
    trail = "\n".join(f"{r.target} {r.details}" for r in store.audit_records())
    assert SECRET not in trail and f"env:{SECRET_ENV}" in trail
    admin_page = sign_in(workbench_sso, "meti-admin").get("/admin").text
    assert f"env:{SECRET_ENV}" in admin_page and CLIENT_ID in admin_page  # the admin sees where the secret is
    assert SECRET not in admin_page
    assert 'id="no-sso"' in sign_in(workbench_sso, "commerce-admin").get("/admin").text  # another organisation's
    assert SECRET not in _login_page(workbench_sso)


@pytest.mark.parametrize(("mode", "expected"), [
    ({"nonce": "not-the-nonce-we-sent"}, "nonce"),
    ({"shift": -3600}, "expired"),
    ({"aud": "another-client"}, "aud"),
    ({"rogue": True}, "signature"),
    ({"issuer": "http://127.0.0.1:9/elsewhere"}, "issuer"),
], ids=["wrong-nonce", "expired", "other-audience", "bad-signature", "foreign-issuer"])
def test_a_bad_id_token_signs_nobody_in(workbench_sso: Any, idp: Provider, mode: dict[str, Any],
                                        expected: str) -> None:
    idp.mode.update(mode)
    before = len(workbench_sso.state.web.store.users())
    if "issuer" in mode:  # refused before the provider is even asked: its document claims another issuer
        from fastapi.testclient import TestClient

        client = TestClient(workbench_sso)
        response = client.get("/login/oidc/meti", follow_redirects=False)
        assert response.status_code == 502 and expected in response.text
    else:
        client, response = _sso(workbench_sso)
        assert response.status_code == 401, response.text[:300]
        assert expected in response.text.lower()
        failures = _records(workbench_sso, "sign_in_failed")
        assert failures and failures[-1].actor == "oidc:meti" and expected in failures[-1].details.lower()
    assert _anonymous(client)  # still sent to the sign-in page
    assert len(workbench_sso.state.web.store.users()) == before
    assert not _records(workbench_sso, "oidc_linked")


def test_a_forged_state_is_refused(workbench_sso: Any) -> None:
    client, response = _sso(workbench_sso, tamper_state=True)
    assert response.status_code == 401 and "state" in response.text.lower()
    assert _anonymous(client)
    assert "state" in _records(workbench_sso, "sign_in_failed")[-1].details


def test_pre_provisioned_organisation_refuses_unknown_users_and_links_known_ones(workbench_sso: Any,
                                                                                  idp: Provider) -> None:
    from pinchpoint.accounts import oidc
    from pinchpoint.accounts.model import Actor

    store = workbench_sso.state.web.store
    prov = oidc.provider(store, "meti")
    oidc.configure(store, "meti", prov.discovery_url, CLIENT_ID, by=Actor.system(), secret_env=SECRET_ENV,
                   provisioning="pre")
    client, refused = _sso(workbench_sso)
    assert refused.status_code == 403 and "administrator" in refused.text
    assert store.user("hanako") is None
    assert "no pre-provisioned account" in _records(workbench_sso, "sign_in_failed")[-1].details
    # an account the admin made (an analyst) is linked on the first sign-in and keeps its role
    idp.mode["username"] = "meti-analyst"
    client, ok = _sso(workbench_sso)
    assert ok.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200
    linked = _records(workbench_sso, "oidc_linked")
    assert linked and linked[-1].target == "user:meti-analyst"
    # another organisation's account of that name is not taken over, nor an administrator's of this one
    idp.mode.update({"username": "commerce-analyst", "sub": "idp-user-2"})
    _, other = _sso(workbench_sso)
    assert other.status_code == 403
    idp.mode.update({"username": "meti-admin", "sub": "idp-user-3"})
    _, admin = _sso(workbench_sso)
    assert admin.status_code == 403 and "administrator" in admin.text
    assert "administrator account not linked" in _records(workbench_sso, "sign_in_failed")[-1].details


def test_local_accounts_still_sign_in_and_the_secret_must_be_set(workbench_sso: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    client = sign_in(workbench_sso, "commerce-viewer", PASSWORD)
    assert client.get("/", follow_redirects=False).status_code == 200
    monkeypatch.delenv(SECRET_ENV)
    from fastapi.testclient import TestClient

    response = TestClient(workbench_sso).get("/login/oidc/meti", follow_redirects=False)
    assert response.status_code == 502 and f"${SECRET_ENV}" in response.text


def test_configuration_is_checked(workbench_sso: Any) -> None:
    from pinchpoint.accounts import oidc
    from pinchpoint.accounts.model import Actor
    from pinchpoint.accounts.policy import AccessDenied
    from pinchpoint.errors import BadArgumentError, NotFoundError

    store = workbench_sso.state.web.store
    with pytest.raises(BadArgumentError, match="https://"):
        oidc.configure(store, "meti", "http://idp.example.org", CLIENT_ID, by=Actor.system())
    with pytest.raises(BadArgumentError, match="provisioning"):
        oidc.configure(store, "meti", "https://idp.example.org", CLIENT_ID, by=Actor.system(), provisioning="x")
    with pytest.raises(NotFoundError, match="commerce"):
        oidc.configure(store, "comerce", "https://idp.example.org", CLIENT_ID, by=Actor.system())
    analyst = store.user("meti-analyst").actor()
    with pytest.raises(AccessDenied):
        oidc.configure(store, "meti", "https://idp.example.org", CLIENT_ID, by=analyst)
    with pytest.raises(NotFoundError, match="no single sign-on"):
        oidc.provider(store, "commerce")
