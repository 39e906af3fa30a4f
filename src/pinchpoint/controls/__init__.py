"""Export-control lists as data: U.S. CCL, EU dual-use list, Japan's METI items; crosswalks, alignment, search."""

from pinchpoint.controls.model import ControlEntry, ControlList, Paragraph, Parameter

__all__ = ["ControlEntry", "ControlList", "Paragraph", "Parameter"]
