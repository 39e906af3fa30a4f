"""A packaged scenario's recovery path that cites only a landing page says so and names the dates its milestones
stand for (trial 12, F24: the Renesas path cited "press releases of April-June 2021" and the press-room page, with no
release, date or URL to check the restart day against)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlparse

from pinchpoint.stress.scenario import load_scenario, packaged_scenarios

DAY0 = {"renesas_naka_fire": date(2021, 3, 19)}  # the fire, as the scenario's own header dates day 0


def _landing(url: str | None) -> bool:
    """A site's index page rather than one document (no dated path, query or file)."""
    path = urlparse(url or "").path.rstrip("/")
    return bool(url) and not any(ch.isdigit() for ch in path) and "." not in path.rsplit("/", 1)[-1] and \
        path.count("/") <= 3


def test_a_path_citing_a_landing_page_says_it_is_unverified_and_dates_each_milestone() -> None:
    names = [n for n in packaged_scenarios() if n in DAY0]
    assert names
    for name in names:
        scenario = load_scenario(name)
        sources = {s.id: s for s in scenario.sources}
        for shock in scenario.shocks:
            recovery = getattr(shock, "recovery", None)
            points = getattr(recovery, "points", None)
            cited = sources.get(getattr(shock, "source", None) or "")
            if not points or cited is None or not _landing(cited.url):
                continue
            text = " ".join(cited.citation.split())
            assert "Not verified" in text
            for day, _ in points[1:]:
                when = DAY0[name] + timedelta(days=int(day))
                assert f"day {int(day)} = {when.day} " in text and f"{when:%B}" in text, (day, when)
