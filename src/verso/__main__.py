"""``verso``: Litestar's command group with the Verso app preset, plus Verso's own commands."""

from __future__ import annotations

import os
import sys

FAST_COMMANDS = ("run", "worker")


def main() -> None:
    """``verso run`` and ``verso worker`` start without building the app in a CLI process (start-up
    time and memory); everything else goes through Litestar's command group."""
    if len(sys.argv) > 1 and sys.argv[1] in FAST_COMMANDS:
        from verso import cli

        command = cli.run_command if sys.argv[1] == "run" else cli.worker_command
        command.main(args=sys.argv[2:], prog_name=f"verso {sys.argv[1]}")
        return
    os.environ.setdefault("LITESTAR_APP", "verso.app:create_app")
    os.environ["VERSO_CLI"] = "1"
    from litestar.cli.main import litestar_group

    litestar_group()


if __name__ == "__main__":
    main()
