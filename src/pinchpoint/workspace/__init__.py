"""The workspace: an embedded DuckDB database of collections (datasets, lists, trade imports...), by key and
version; see :mod:`pinchpoint.workspace.collections`."""

from pinchpoint.workspace.collections import Collection, Items, Migration, Version, register
from pinchpoint.workspace.datasets import DatasetRecord
from pinchpoint.workspace.store import Workspace, default_workspace_path

__all__ = ["Collection", "DatasetRecord", "Items", "Migration", "Version", "Workspace", "default_workspace_path",
           "register"]
