"""The insight pages, one module per page family; importing this package registers them on `bp`."""

from . import dashboard  # noqa: F401
