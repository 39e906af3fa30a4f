"""The supply-chain domain: the immutable model, loaders (ETO both vintages, native YAML/CSV, the built-in
dataset in ``supplychain/builtin``), share selection, closest-id suggestions and data-quality findings. Country
codes come from :mod:`pinchpoint.kernel.countries`."""

from pinchpoint.supplychain.load import load_chain
from pinchpoint.supplychain.model import (
    Finding,
    Input,
    InputKind,
    Level,
    Mode,
    Provider,
    ProviderKind,
    Provision,
    Relation,
    RelationKind,
    Source,
    Stage,
    SupplyChain,
)

__all__ = [
    "Finding", "Input", "InputKind", "Level", "Mode", "Provider", "ProviderKind", "Provision", "Relation",
    "RelationKind", "Source", "Stage", "SupplyChain", "load_chain",
]
