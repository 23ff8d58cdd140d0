"""Exit codes of the `evalboard` commands, in one place (docs/ARCHITECTURE.md, "Commands and exit codes").

A module of constants only: every command imports it, so it must not pull in the domain (scipy alone costs a
command ~2 s of imports).
"""

EXIT_READY, EXIT_NOT_READY, EXIT_INSUFFICIENT, EXIT_BAD_INPUT = 0, 1, 2, 3  # `evalboard readiness`
# `evalboard readiness` without --allow-partial when a file of the dataset is left out: no verdict on partial data;
# `evalboard repair` when a data file that cannot be read is still named by a Delta table's log (present but
# unreadable: move it aside and repair again), or with --dry-run when missing files would be removed. (`evalboard
# ingest` names a Delta data file its duplicate check could not read but keeps its code: the import is complete.)
EXIT_DATA_INCOMPLETE = 5
# any command over a dataset on object storage: storage unreachable, credentials refused, no such bucket
EXIT_STORAGE = 6
EXIT_INTERNAL = 4  # an unexpected error in any command: never a verdict (evalboard/commands/cli.py)
# `evalboard ingest` / `evalboard migrate`: the storage failed — an S3 source or the dataset's storage: endpoint
# unreachable, credentials refused, bucket missing, or a commit conflict past its retries (one line on stderr, no
# credential in it)
EXIT_STORAGE = 6
