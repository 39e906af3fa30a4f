"""The workspace: one embedded DuckDB file of collections (supply-chain datasets, control and restricted-party
lists, trade imports...), by key and content-hash version (see :mod:`pinchpoint.workspace.collections`); one writer
or many readers, with a bounded wait on a lock."""

from pinchpoint.workspace.collections import Collection, Items, Migration, Version, register
from pinchpoint.workspace.datasets import DatasetRecord
from pinchpoint.workspace.store import Workspace, default_workspace_path

__all__ = ["Collection", "DatasetRecord", "Items", "Migration", "Version", "Workspace", "default_workspace_path",
           "register"]
