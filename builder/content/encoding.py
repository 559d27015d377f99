"""Text that was decoded with the wrong encoding somewhere before it reached the space."""

from __future__ import annotations

import re

from builder.diagnostics import Diagnostics

# UTF-8 read as Latin-1/cp1252 (é -> Ã©, ’ -> â€™, nbsp -> Â , emoji -> ðŸ), and the
# Turkish cp1254 variant of the emoji prefix (ğŸ).
MOJIBAKE = re.compile(
    r"Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    r"\u02dc\u2013-\u203a\u20ac\u2122]|â€|Â[\u00a0-\u00bf ]|ðŸ|ğŸ"
)


def check_mojibake(text: str, file: str, first_line: int, diag: Diagnostics) -> bool:
    """Warn once per file at the first mojibake sequence; True when there is one."""
    m = MOJIBAKE.search(text)
    if m is None:
        return False
    diag.warn(
        f"mojibake '{m.group(0)}' (text decoded with the wrong encoding)",
        file=file,
        line=first_line + text.count("\n", 0, m.start()),
        hint="repair it with 'guideprint import'",
    )
    return True
