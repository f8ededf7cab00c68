"""Opened by the /report/:month route as "report_view:show"."""

import json

import anvil.js
import anvil.server
from shared import Period


def show(first_day, period, title, query, remote):
    body = anvil.js.document.body
    body.dataset.entry = "report_view:show"
    body.dataset.args = json.dumps({
        "first_day": first_day.isoformat(), "date_type": type(first_day).__name__,
        "period": period.label(), "portable": type(period) is Period, "title": title, "query": query,
        "remote": remote, "server_call": anvil.server.call("double", 4),
    })
    body.dataset.ready = "1"
