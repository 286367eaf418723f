"""pgbridge.wire: the PostgreSQL v3 protocol without I/O.

messages.py holds the message dataclasses, codec.py turns bytes into messages and back,
values.py converts parameter and result values between Postgres text/binary and Python,
errors.py holds PgError and SQLSTATEs. Stdlib only: no sockets, no asyncio, no pyarrow.
"""
