"""Welcome packs: per newcomer, their personalised cards as one tagged PDF, and an email with
it and the manual attached.

Stages, in order: `people` (CSV -> checked Person rows), `pack` (its metadata and names),
`mail` (draft .eml: text and HTML), `run` (the manual once, packs over the cores); then, to
send, `smtp` (the server and the login), `journal` (what was sent, SQLite) and `delivery`
(each message once).
"""

from builder.welcome.delivery import Draft, Plan, SendReport, plan, read_drafts, send, status
from builder.welcome.journal import JOURNAL, Entry, Journal
from builder.welcome.mail import digest, read_eml
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
from builder.welcome.smtp import Login, Server, login, server_from_settings

__all__ = [
    "JOURNAL",
    "MAX_PACK_BYTES",
    "WELCOME_DIR",
    "Draft",
    "Entry",
    "Journal",
    "Login",
    "PackOutcome",
    "PackRenderer",
    "Person",
    "Plan",
    "Progress",
    "RendererFactory",
    "Roster",
    "SendReport",
    "Server",
    "WelcomeResult",
    "build_packs",
    "digest",
    "login",
    "plan",
    "read_drafts",
    "read_eml",
    "read_people",
    "run_welcome",
    "send",
    "server_from_settings",
    "slugify",
    "status",
]
