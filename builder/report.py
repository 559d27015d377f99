"""The end of a build: what happened to each output, one line each for those that failed
(`-v`: every output), then one summary line. Information is never labelled "warning:"."""

from __future__ import annotations

from builder.diagnostics import LOG, STATUS
from builder.outputs import Made, Output


def report(outputs: list[Output], fresh: set[str], made: list[Made], *, write: bool,
           force: bool, seconds: float) -> int:  # fmt: skip
    """What happened to each output; 1 when any failed."""
    by_key = {m.key: m for m in made}
    written = [o.key for o in outputs if o.key in by_key and not by_key[o.key].error]
    failed = [o.key for o in outputs if o.key in by_key and by_key[o.key].error]
    verb = "checked" if not write else "written"
    for key in written:
        LOG.info("%s: %s", key, verb)
    for key in [o.key for o in outputs if o.key in fresh]:
        LOG.info("%s: up to date", key)
    for key in failed:
        STATUS.error("%s: failed: %s", key, by_key[key].error)
    parts = [f"{len(written)} {verb}", f"{len(fresh)} up to date"]
    parts += [f"{len(failed)} failed"] if failed else []
    skipped = [o.key for o in outputs if o.key not in by_key and o.key not in fresh]
    parts += [f"{len(skipped)} not imposed by check"] if skipped else []
    hint = "" if written or failed or force or not write else "; use --force to rebuild"
    (STATUS.warning if write else LOG.info)("%s in %.2f s%s", ", ".join(parts), seconds, hint)
    return 1 if failed else 0
