"""The orders domain's business actions."""
