"""Stress tests: scenarios as validated YAML (packaged ones in ``stress/scenarios``), every id checked against the
dataset before a run, static, time-to-survive/recover (HiGHS, the 'stress' extra) and dynamic Monte Carlo engines
over one compiled network, an ARIO mode on input-output tables, and an HTML report."""

from pinchpoint.stress.scenario import Scenario, load_scenario

__all__ = ["Scenario", "load_scenario"]
