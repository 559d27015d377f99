"""Welcome packs: per newcomer, personalised cards + the manual in one PDF, and an email.

Stages, in order: `people` (CSV -> checked Person rows), `pack` (cards + manual merged),
`mail` (draft .eml, SMTP sending), `run` (the manual once, packs over the cores).
"""

from builder.welcome.mail import SendReport, Smtp, send, send_summary, smtp_from_env
from builder.welcome.pack import MAX_PACK_BYTES
from builder.welcome.people import Person, Roster, read_people, slugify
from builder.welcome.run import (
    WELCOME_DIR,
    PackOutcome,
    PackRenderer,
    Progress,
    RendererFactory,
    WelcomeResult,
    build_packs,
    run_welcome,
)

__all__ = [
    "MAX_PACK_BYTES",
    "WELCOME_DIR",
    "PackOutcome",
    "PackRenderer",
    "Person",
    "Progress",
    "RendererFactory",
    "Roster",
    "SendReport",
    "Smtp",
    "WelcomeResult",
    "build_packs",
    "read_people",
    "run_welcome",
    "send",
    "send_summary",
    "slugify",
    "smtp_from_env",
]
