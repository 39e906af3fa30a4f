"""The supply-chain domain: model, loaders, share selection and data-quality checks."""

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
