"""``futures workshop``: the command that serves the live sliders page."""

from __future__ import annotations

from scenarios.engine.command import Command

USAGE = """\
usage: futures workshop [--port N] [--host ADDRESS] [KEY=VALUE ...]

Serves the live workshop page on this machine: sliders for the two axes, the key world
assumptions and the six policy levers; charts of the eleven trends and five impact areas
that follow the sliders, each showing the default baseline, the baseline under the changed
world assumptions, and the current scenario with the levers. The page works offline.

  --port N            port to listen on (default workshop.port, 8050; 0 picks a free one)
  --host ADDRESS      address to bind (default 127.0.0.1, this machine only; an IP address
                      or localhost)
  KEY=VALUE           the model's config, as for `futures run` (seed, cross_impact..., a
                      +future.NAME={...}); workshop.members=M sets the page's members per
                      future (default 256)

Open the printed address in a browser; Ctrl-C stops the server. See docs/workshop.md.

examples:
  futures workshop
  futures workshop --port 8080 seed=7
  futures workshop workshop.lang=nl workshop.members=400
"""


def main(args: list[str]) -> int:
    """Check the input, start the server and serve (:func:`scenarios.workshop.server.command`)."""
    if any(a in ("-h", "--help") for a in args):
        print(USAGE, end="")
        return 0
    from scenarios.workshop.server import command

    return command(args)


COMMAND = Command("workshop", USAGE, main=main)
