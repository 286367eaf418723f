"""What a statement means to the session: each handler returns an outcome, never bytes.

routing.py says, for every kind of statement, how Parse, Describe and Execute treat it;
dispatch.py follows it. The session answers settings and transaction control itself
(local.py), keeps cursors (cursors.py), checks COPY's options (copy_out.py) and refuses what
the session's state forbids (guards.py); everything else goes to the pipeline, through the
seam in port.py.
"""
