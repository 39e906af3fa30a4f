"""Run BoARIO (the GPL comparison peer) on pymrio's test table and print its daily production as JSON.

Run in its own process by tests/stress/test_ario.py with BoARIO and pymrio on PYTHONPATH; pinchpoint never imports
BoARIO. Usage: python boario_peer.py REGION SECTOR IMPACT OCCURRENCE DURATION RECOVERY_TAU DAYS
"""

import json
import sys
import warnings

warnings.filterwarnings("ignore")

import pymrio  # noqa: E402
from boario.event import from_scalar_regions_sectors  # noqa: E402
from boario.extended_models import ARIOPsiModel  # noqa: E402
from boario.simulation import Simulation  # noqa: E402

region, sector = sys.argv[1], sys.argv[2]
impact, occurrence, duration, recovery_tau, days = float(sys.argv[3]), *map(int, sys.argv[4:8])
mrio = pymrio.load_test().calc_all()
model = ARIOPsiModel(mrio)
sim = Simulation(model, n_temporal_units_to_sim=days,
                 save_records=["production_realised", "production_capacity", "overproduction"])
sim.add_event(from_scalar_regions_sectors(
    impact, event_type="arbitrary", affected_regions=[region], affected_sectors=[sector],
    impact_regional_distrib="equal", impact_sectoral_distrib="equal", occurrence=occurrence, duration=duration,
    recovery_tau=recovery_tau, recovery_function="linear"))
sim.loop()
production = sim.production_realised
loss = 1.0 - sim.production_capacity.to_numpy() / (model.X_0[None, :] * sim.overproduction.to_numpy())
k = list(model.industries).index((region, sector))
json.dump({"industries": [list(i) for i in model.industries], "baseline": model.X_0.tolist(),
           "production": production.to_numpy().tolist(), "capacity_loss": loss[:, k].tolist(),
           "version": __import__("boario").__version__}, sys.stdout)
