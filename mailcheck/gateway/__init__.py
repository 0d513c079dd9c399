"""The mail-gateway front-ends: a milter for Postfix/Sendmail and a stdin-to-stdout filter.

Both call `api.scan_bytes` (through a pool of warm worker processes) and add no detection of
their own: `policy.py` maps a verdict to what the gateway does with the message,
`headers.py` writes the X-Mailcheck-* headers, `pool.py` runs scans with a time bound, and
`milter.py` is the only importer of pymilter (an optional extra).
"""
