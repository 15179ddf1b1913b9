"""The cloud services' wire formats: codes, messages, response bodies, renderers, signatures.

Pure Python (no Django), shared by the HTTP API, the remote clients and the
engine's command line, so each code and message is written once.
:mod:`webapp.wire.codes` is the shared vocabulary of failures; each format's
module renders it in that format's bodies and HTTP statuses.
"""
