"""Operations pages, one module per area."""

from verso.domains.ops.views import _admin, _health, _jobs, _media, _outbox, _setup

routes = [*_setup.routes, *_health.routes, *_admin.routes, *_jobs.routes, *_outbox.routes, *_media.routes]
