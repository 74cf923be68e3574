"""Placeholder: filled in by the module's author this session."""

routes: list = []
