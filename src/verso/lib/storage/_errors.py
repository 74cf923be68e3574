"""The one error of the media storage."""

from __future__ import annotations


class StorageError(Exception):
    """A refused upload, with a message fit to show the person who sent it."""
