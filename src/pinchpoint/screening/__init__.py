"""Restricted-party screening: list loaders (OFAC, UN, BIS, METI, FollowTheMoney; problems reported as
``Problem``s), one entity model, name normalisation, cross-script readings and skeletons (Japanese readings with
the optional 'ja' extra), an indexed explainable matcher, batch files, and lists kept in the workspace."""
