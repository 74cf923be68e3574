"""The ceiling for load comparisons: a bare Litestar route with nothing of Verso's stack."""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([hello])
