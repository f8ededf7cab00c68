"""Routes: deep links that open a client entry with arguments, and a route answering a plain value."""

import datetime as dt

import anvil.server
from shared import Period


@anvil.server.route("/report/:month")
def report(month, **query):
    year, number = (int(part) for part in month.split("-"))
    return anvil.server.FormResponse("report_view:show", dt.date(year, number, 1), Period(year, number),
                                     title=f"Report {month} </script>", query=query,
                                     remote=anvil.server.request.path)


@anvil.server.route("/welcome/:name")
def welcome(name):
    return anvil.server.FormResponse("welcome", name, when=dt.date(2024, 2, 29))


@anvil.server.route("/health")
def health():
    return {"ok": True, "path": anvil.server.request.path}


@anvil.server.route("/broken")
def broken():
    raise RuntimeError("route secret")
