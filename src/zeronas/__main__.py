"""``python -m zeronas``: the command line, as the ``zeronas`` script."""

from zeronas.cli import app

app(prog_name="zeronas")
