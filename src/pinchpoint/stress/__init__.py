"""Stress tests: scenarios as data; static, time-to-survive/recover and dynamic engines over one network."""

from pinchpoint.stress.scenario import Scenario, load_scenario

__all__ = ["Scenario", "load_scenario"]
