"""The SQL stage: a statement's way from text to BigQuery SQL, and what masking and cost read
from it on the way. One subpackage per step, each importing only the ones above it here:

- statements/  text -> Statement: one tokenization, the split into statements, the strict
               syntax check, classification, the session commands as data;
- names/       Statement -> Resolved: tables qualified with their BigQuery datasets, columns
               with their tables, outputs named as PostgreSQL names them;
- translate/   Resolved -> Translation: typing under PostgreSQL's rules, the allow-list of
               constructs (translate/constructs/, listed in translate/catalogue.py), fix-ups,
               BigQuery SQL;
- lineage/     which warehouse columns each output derives from and where values are used
               (masking decides from it), with the allow-list of what a masked value may
               flow through on one page (lineage/flow.py).

Beside them: generated.py (the rows a statement makes up by itself, priced by the cost
rule), and two leaves every step may use: pgtypes.py (types with PostgreSQL semantics in
BigQuery spelling) and literals.py (PostgreSQL's literal grammar for interval, time, bytea,
arrays and json).

Outside pgbridge.sql this package may import only sqlglot, pgbridge.backends.base,
pgbridge.typemap, pgbridge.wire.errors and pgbridge.encode.jsonfmt; none of its modules
imports inside a function, and its imports form no circle (tests/sql/test_layout.py).
"""
