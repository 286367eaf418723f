"""The protocol core: one connection's PostgreSQL protocol state, without I/O.

states.py holds the phases, the transaction status and the transition tables; stores.py the
prepared statements and portals; core.py the ProtocolCore that the asyncio drivers
(pgbridge.server.connection and .session) feed messages and outcomes and take bytes from.
Nothing here imports asyncio, socket or ssl (tests/server/test_core_is_sans_io.py).
"""
