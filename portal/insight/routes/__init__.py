"""The insight pages, one module per page family; importing this package registers them on `bp`."""

from . import dashboard, exports, scoreboard, supply_calendar  # noqa: F401
