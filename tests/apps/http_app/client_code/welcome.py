"""Opened by the /welcome/:name route as a module: its arguments are the globals entry_args, entry_kwargs."""

import json

import anvil.js

body = anvil.js.document.body
body.dataset.entry = __name__ + ":welcome"
body.dataset.args = json.dumps({"args": list(entry_args), "when": entry_kwargs["when"].isoformat(),
                                "when_type": type(entry_kwargs["when"]).__name__})
body.dataset.ready = "1"
