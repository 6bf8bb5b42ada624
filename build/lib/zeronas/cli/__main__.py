from zeronas.cli import app

app()
