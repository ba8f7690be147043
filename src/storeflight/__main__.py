from storeflight.cli.main import app

app(prog_name="storeflight")
