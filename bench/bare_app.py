"""The baseline for bench.webhook: Flask with one POST route and a tiny TwiML
answer, served by the same gunicorn settings as `glanage web`."""

from __future__ import annotations

from flask import Flask, Response, request

app = Flask(__name__)

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>OK</Message></Response>'
)


@app.post("/sms/inbound")
def inbound() -> Response:
    request.form.get("Body")  # parse the form, as the real webhook does
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> str:
    return "ok"
