"""guideprint serve: the outputs in a browser page, built again on every save.

One process keeps WeasyPrint loaded and builds with the build's own staleness rules
(builder.serve.preview) each time a file the outputs are made from changes (the watcher of
--watch, builder.watch); the page (builder.serve.server, page/) shows every card front and
back, the manual's pages, and what the last build said, updated by server-sent events.

    watch -> build: each card made -> its pictures drawn -> event; the rest -> event

The server listens on 127.0.0.1 only; Ctrl-C stops the builds, the watcher and the server,
exit 0.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from builder.diagnostics import LOG, STATUS
from builder.gate import Gate
from builder.outputs import BuildRequest
from builder.project import Project
from builder.serve.pictures import Pictures
from builder.serve.preview import Outcome, Preview
from builder.serve.server import PAGE, Hub, PreviewServer
from builder.watch import Poller, watched

DEFAULT_PORT = 8000


def serve(
    project: Project,
    request: BuildRequest,
    *,
    reload: Callable[[], Project],
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    changes: Callable[[], list[str]] | None = None,
) -> int:
    """Serve the preview and build on every change until Ctrl-C (exit 0).

    `reload` makes the project again for each build (guideprint.toml may have changed);
    `changes` blocks until files changed and returns them (default: builder.watch.Poller).
    """
    gate = Gate.of([project.out, PAGE])  # what the server may read: outputs and its page
    pictures, hub = Pictures(gate), Hub()
    server = PreviewServer(port, hub, pictures, gate, project.out)  # a port in use: said now
    thread = threading.Thread(target=server.serve_forever, name="guideprint-serve")
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    poller = None
    if changes is None:
        poller = Poller(watched(project), skip=[project.out, project.cache])
        changes = poller.wait
    preview = Preview(request, pictures, hub.publish, project=project)
    try:
        STATUS.warning("serving %s (Ctrl-C to stop)", url)
        preview.show(preview.state(project, Outcome(), building=True))  # out/ as it is
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        preview.cycle(reload)
        while True:
            names = changes()
            LOG.info("changed: %s", ", ".join(_shown(n, project) for n in names[:5]))
            preview.cycle(reload)
    except KeyboardInterrupt:
        STATUS.warning("stopped serving")
    finally:
        if poller is not None:
            poller.close()
        preview.kept.close()
        hub.close()
        server.shutdown()
        server.server_close()
        thread.join()
    return 0


def _shown(name: str, project: Project) -> str:
    return os.path.relpath(name, project.root) if name.startswith(str(project.root)) else name
