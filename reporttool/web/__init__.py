"""The web page (`reporttool serve`): the library's work for people who never open a terminal."""

from .app import Settings, create_app

__all__ = ["Settings", "create_app"]
