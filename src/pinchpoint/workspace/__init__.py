"""The workspace: an embedded DuckDB database of imported datasets, by name and version."""

from pinchpoint.workspace.store import DatasetRecord, Workspace, default_workspace_path

__all__ = ["DatasetRecord", "Workspace", "default_workspace_path"]
