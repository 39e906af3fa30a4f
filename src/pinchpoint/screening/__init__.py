"""Restricted-party screening: list loaders, one entity model, an indexed explainable matcher."""
