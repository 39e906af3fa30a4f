"""A single sign-on client secret kept in a file: a missing file is refused when it is configured (not at the first
sign-in), and, as ssh does with a private key, a file the group or others may read is refused with the chmod that
fixes it, both when configured and when the secret is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.accounts import oidc
from pinchpoint.accounts.model import Actor
from pinchpoint.accounts.store import AccountStore
from pinchpoint.errors import BadArgumentError, NotFoundError, PinchpointError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

URL = "https://idp.example.org"


def _secret(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "client-secret"
    path.write_text("s3cr3t-value\n", encoding="utf-8")
    path.chmod(mode)
    return path


def _configure(store: AccountStore, secret_file: Path | str) -> oidc.OidcProvider:
    return oidc.configure(store, "meti", URL, "client-1", by=Actor.system(), secret_file=str(secret_file))


def test_a_missing_secret_file_is_refused_when_configured(store: AccountStore, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    with pytest.raises(NotFoundError, match="no such file") as err:
        _configure(store, missing)
    assert str(missing) in str(err.value)
    assert not oidc.providers(store)  # nothing stored


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_file_open_to_group_or_others_is_refused_with_the_chmod(store: AccountStore, tmp_path: Path,
                                                                        mode: int) -> None:
    path = _secret(tmp_path, mode)
    with pytest.raises(BadArgumentError) as err:
        _configure(store, path)
    assert f"{mode:04o}" in str(err.value) and f"chmod 600 {path}" in str(err.value)
    assert not oidc.providers(store)


def test_a_private_secret_file_is_kept_by_its_absolute_path_and_checked_again_when_read(
        store: AccountStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _secret(tmp_path, 0o600)
    monkeypatch.chdir(tmp_path)
    provider = _configure(store, path.name)  # given relative to the admin's folder
    assert provider.secret_file == str(path) and provider.client_secret() == "s3cr3t-value"
    path.chmod(0o644)  # loosened after it was configured
    with pytest.raises(PinchpointError, match="chmod 600"):
        oidc.provider(store, "meti").client_secret()


def test_the_cli_refuses_a_missing_or_world_readable_secret_file(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    workspace = str(tmp_path / "ws")
    assert CliRunner().invoke(app, ["users", "add-org", "meti", "--workspace", workspace]).exit_code == 0
    sso = ["users", "sso", "meti", "--discovery-url", URL, "--client-id", "client-1", "--workspace", workspace]
    missing = CliRunner().invoke(app, [*sso, "--secret-file", str(tmp_path / "nonexistent")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    readable = CliRunner().invoke(app, [*sso, "--secret-file", str(_secret(tmp_path, 0o644))])
    assert readable.exit_code == 2 and "chmod 600" in " ".join(readable.output.split())
    (tmp_path / "client-secret").chmod(0o600)
    assert CliRunner().invoke(app, [*sso, "--secret-file", str(tmp_path / "client-secret")]).exit_code == 0
