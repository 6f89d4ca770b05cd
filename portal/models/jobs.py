"""The worker's schedule and leases: one row per periodic job, shared by every worker on every host.

A worker runs a job only after an atomic UPDATE (or the first INSERT) has made it the row's holder,
so two workers never run the same job at once and a job done on one host is not done again on
another. Heartbeat rows ("heartbeat:<host>") tell /readyz when a worker last went round its loop.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class JobRun(db.Model):
    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    # when the job is due again: its period after a success, a short retry delay after a failure
    next_run_at: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    # the holder owns the job until then; a worker that dies mid-job lets it run out
    lease_until: Mapped[datetime | None]
    holder: Mapped[str | None] = mapped_column(sa.String(200))
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
