"""The Session frame: held objects built once, rebuilt when the workspace changes, authorisation, thread safety;
the supply-chain and stress groups on the built-in chain and the real ETO files."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from pinchpoint.analysis.concentration import concentration
from pinchpoint.errors import BadArgumentError, DataError, NotFoundError, PinchpointError
from pinchpoint.session import AccessDenied, Actor, Cache, Session
from pinchpoint.stress.engines import run_dynamic, run_static
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import load_scenario, packaged_scenarios
from pinchpoint.supplychain.eto import load_eto
from pinchpoint.supplychain.load import builtin_path, load_chain
from pinchpoint.workspace.store import content_hash


def test_builtin_concentration_is_the_analysis_with_its_version(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    table = session.supplychain.concentration("builtin", level="organization")
    direct = concentration(load_chain(), level="organisation")
    assert table.rows == direct.rows
    assert table.meta["dataset_version"] == content_hash(builtin_path())
    assert table.meta["dataset_ref"] == "builtin" and table.meta["level"] == "organisation"
    assert list(table.caveats) == list(direct.caveats)
    with pytest.raises(ValueError, match="level must be 'country' or 'organisation'"):
        session.supplychain.chokepoints("builtin", level="continent")


def test_workspace_dataset_is_loaded_once_and_reloaded_when_a_new_version_is_imported(
        tmp_path: Path, eto_path: Path) -> None:
    session = Session(tmp_path / "ws")
    copy = tmp_path / "eto"
    shutil.copytree(eto_path, copy)
    session.supplychain.import_dataset(copy, name="eto")
    first = session.supplychain.concentration("eto")
    assert first.rows == concentration(load_eto(eto_path)).rows  # the stored dataset is the file's
    assert first.meta["dataset_version"] == content_hash(copy.resolve())
    session.supplychain.chokepoints("eto")
    session.supplychain.exposure("eto")
    key = ("chain", "workspace", "eto", "")
    assert session.cache.builds[key] == 1  # three analyses, one load
    assert session.supplychain.concentration("eto") is first  # the answer for this version is held
    held = ("result", "eto", "concentration", "country", None)
    assert session.cache.builds[held] == 1

    # a new version under the same name: drop the last provision row, so one input loses a provider
    provision = copy / "provision.csv"
    lines = provision.read_text(encoding="utf-8").splitlines(keepends=True)
    provision.write_text("".join(lines[:-1]), encoding="utf-8")
    session.supplychain.import_dataset(copy, name="eto")
    second = session.supplychain.concentration("eto")
    assert session.cache.builds[key] == 2
    assert session.cache.builds[held] == 2  # a new version: computed again, not the old answer
    assert second.meta["dataset_version"] == content_hash(copy.resolve()) != first.meta["dataset_version"]
    assert second.rows == concentration(load_eto(copy)).rows
    assert session.supplychain.chain("eto").provisions == load_eto(copy).provisions
    # an older version stays reachable by its prefix
    old = session.supplychain.concentration(f"eto@{first.meta['dataset_version'][:8]}")
    assert old.rows == first.rows


def test_unchanged_workspace_is_not_reread(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    session.supplychain.import_dataset(builtin_path(), name="chips")
    reads = 0
    real = session.supplychain._dataset_versions

    def counting() -> tuple[tuple[str, str], ...]:
        nonlocal reads
        reads += 1
        return real()

    session.supplychain._dataset_versions = counting  # type: ignore[method-assign]
    for _ in range(3):
        session.supplychain.chokepoints("chips")
    assert reads == 1  # the workspace files did not change: their stat is enough
    session.supplychain.import_dataset(builtin_path(), name="chips2")
    session.supplychain.chokepoints("chips")
    assert reads == 2


def test_unknown_dataset_names_the_datasets_held(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    with pytest.raises(PinchpointError, match="no workspace"):
        session.supplychain.concentration("nosuch")
    session.supplychain.import_dataset(builtin_path(), name="chips")
    with pytest.raises(PinchpointError, match="chips"):
        session.supplychain.concentration("chipz")


def test_dynamic_run_is_a_bundle_of_named_tables_and_the_network_is_built_once(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    calls: list[tuple[int, int]] = []
    run = session.stress.run("taiwan_blockade", runs=3, seed=7, progress=lambda d, t, label="": calls.append((d, t)))
    direct = run_dynamic(StressNetwork.build(load_chain()), load_scenario("taiwan_blockade"), runs=3, seed=7)
    assert set(run.tables) == {"summary", "series", "binding", "capacity"}
    assert run.headline.rows == direct.summary.rows and run.tables["series"].rows == direct.series.rows
    assert run.headline.meta["runs"] == 3 and run.headline.meta["seed"] == 7
    assert run.headline.meta["scenario"] == "taiwan_blockade" and run.headline.meta["engine"] == "dynamic"
    assert calls and calls[-1][0] == calls[-1][1] == load_scenario("taiwan_blockade").horizon_days
    static = session.stress.run("taiwan_blockade", engine="static")
    assert static.headline.rows == run_static(StressNetwork.build(load_chain()),
                                              load_scenario("taiwan_blockade")).rows
    assert session.cache.builds[("network", "builtin")] == 1
    with pytest.raises(ValueError, match="engine must be static, tts, dynamic or ario"):
        session.stress.run("taiwan_blockade", engine="montecarlo")


def test_posted_yaml_runs_like_the_packaged_file_and_errors_name_the_upload(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws", local_files=False)
    text = packaged_scenarios()["shortage_2021"].read_text(encoding="utf-8")
    posted = session.stress.run(session.stress.scenario_from_yaml(text), engine="static")
    packaged = session.stress.run("shortage_2021", engine="static")
    assert posted.headline.rows == packaged.headline.rows
    broken = text.replace("horizon_days:", "horizon_dayz:", 1)
    line = next(k for k, row in enumerate(broken.splitlines(), 1) if row.startswith("horizon_dayz"))
    with pytest.raises(DataError) as err:
        session.stress.scenario_from_yaml(broken)
    assert err.value.location.file == "posted scenario" and "/tmp" not in str(err.value)
    assert err.value.location.row is not None and abs(err.value.location.row - line) <= 1
    # a server session names no local files: a scenario file or a dataset path is refused
    with pytest.raises(BadArgumentError, match="packaged or posted scenarios, not files"):
        session.stress.scenario(packaged_scenarios()["shortage_2021"])
    with pytest.raises(NotFoundError, match="did you mean shortage_2021"):
        session.stress.scenario("shortage_2012")
    with pytest.raises(PinchpointError, match="only 'builtin' and datasets in the workspace"):
        session.supplychain.concentration(str(builtin_path()))
    # ... but a packaged scenario's own dataset file is read
    assert len(session.stress.run("renesas_naka_fire", engine="static").headline) > 0


def test_every_method_asks_the_authoriser(tmp_path: Path) -> None:
    asked: list[tuple[str, str, str]] = []

    def deny_stress(actor: Actor, action: str, resource: str) -> None:
        asked.append((actor.user, action, resource))
        if action.startswith("stress.") and actor.role != "analyst":
            raise AccessDenied(f"{actor.user} may not {action}")

    viewer = Session(tmp_path / "ws", actor=Actor("ana", "ministry", "viewer"), authorizer=deny_stress)
    viewer.supplychain.chokepoints("builtin")
    assert ("ana", "supplychain.analyse", "dataset:builtin") in asked
    with pytest.raises(AccessDenied, match=r"ana may not stress\.scenario"):
        viewer.stress.run("taiwan_blockade", engine="static")
    analyst = Session(tmp_path / "ws", actor=Actor("bo", "ministry", "analyst"), authorizer=deny_stress)
    assert len(analyst.stress.run("taiwan_blockade", engine="static").headline) > 0


def test_cache_builds_once_under_concurrency_and_answers_from_the_old_value_while_rebuilding() -> None:
    cache = Cache()
    builds = 0
    release = threading.Event()

    def slow(value: str) -> str:
        nonlocal builds
        builds += 1
        release.wait(5)
        return value

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", 1, lambda: slow("v1"))))
               for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    release.set()
    for t in threads:
        t.join()
    assert builds == 1 and results == ["v1"] * 8
    release.clear()
    rebuilding = threading.Thread(target=lambda: cache.get("k", 2, lambda: slow("v2")))
    rebuilding.start()
    time.sleep(0.05)
    assert cache.get("k", 2, lambda: slow("v3")) == "v1"  # not blocked: the previous value while v2 builds
    release.set()
    rebuilding.join()
    assert cache.get("k", 2, lambda: slow("v4")) == "v2" and builds == 2


def test_groups_are_found_by_module_and_unknown_ones_say_so(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    assert session.supplychain is session.supplychain
    with pytest.raises(AttributeError, match="no group 'nosuch'"):
        session.nosuch  # noqa: B018


def test_a_server_session_never_asks_the_file_system_about_a_scenario_name(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a path exists must not change the answer (it did: an existing file was 422, a missing one 404, so a
    client could probe the server's files), and a file in the server's folder must not shadow a packaged scenario."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taiwan_blockade").write_text("not: a scenario\n", encoding="utf-8")  # would shadow the packaged one
    (tmp_path / "exists.yaml").write_text("name: x\n", encoding="utf-8")
    served = Session(tmp_path / "ws", local_files=False)
    assert served.stress.scenario("taiwan_blockade").origin == str(packaged_scenarios()["taiwan_blockade"])
    answers = []
    for ref in ("exists.yaml", "missing.yaml", "./exists.yaml", "./missing.yaml", str(tmp_path / "exists.yaml"),
                "/no/such/dir/x.yaml", "../../etc/passwd", "../../no/such/file"):
        with pytest.raises(BadArgumentError) as refused:
            served.stress.scenario(ref)
        answers.append(str(refused.value).replace(ref, "REF"))
    assert len(set(answers)) == 1  # the same answer whether the file exists or not
    with pytest.raises(NotFoundError, match="did you mean taiwan_blockade"):
        served.stress.scenario("taiwan_blokade")


def test_a_server_session_names_datasets_alike_whether_or_not_a_file_exists(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dataset name in a server session is a workspace name: an existing path was 422 and a missing one 404 (a
    probe of the server's files), and a file in the server's folder named like a stored dataset shadowed it."""
    Session(tmp_path / "ws").supplychain.import_dataset(builtin_path(), name="mine")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").write_text("not a dataset\n", encoding="utf-8")
    served = Session(tmp_path / "ws", local_files=False)
    assert served.supplychain.concentration("mine").rows == concentration(load_chain()).rows
    answers = []
    for ref in ("/etc/passwd", "/no/such/file", "./mine", "./nothing", str(builtin_path()), "~/x"):
        with pytest.raises(BadArgumentError) as refused:
            served.supplychain.concentration(ref)
        answers.append(str(refused.value).replace(ref, "REF"))
    assert len(set(answers)) == 1
    with pytest.raises(NotFoundError, match="did you mean mine"):
        served.supplychain.concentration("mien")
