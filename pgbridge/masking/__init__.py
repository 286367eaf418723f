"""Masking: sensitive columns are masked before the warehouse computes on them.

Redacting an output after the warehouse computed on the clear value protects the output, not
the value: time, memory, errors, timeouts and row counts of that work answer questions about
it. So every read of a table with a masked column goes through a masking view (views.py) that
computes the masked value first, and the statement computes on masked values only: its cost
and outcome depend only on what the role may see, as with BigQuery's column data masking.
Refusing every non-pass-through use would also close the channels, but would refuse ordinary
queries (grouping by email domain, a last-four lookup) that the views run safely.

The keyed hash is the exception: its key stays in the gateway, so a hashed column reaches the
warehouse in clear, is hashed per Arrow batch on the way out (strategies.py), and plan.py
allows it only where equal pseudonyms would reveal the same (returned, grouped, joined to
another pseudonym). docs/security.md has the whole argument and the tests that hold it.
"""
