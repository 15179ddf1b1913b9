"""The cloud services' wire formats: codes, messages, response bodies, signatures.

Pure Python (no Django), shared by the HTTP API, the remote clients and the
engine's command line, so each code and message is written once.
"""
