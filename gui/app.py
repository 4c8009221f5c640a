"""Entry points: ``graphsim gui [LIBRARY]`` calls `main`; ``graphsim-gui`` calls `script`."""

from __future__ import annotations

import argparse
import os
import sys


def _library_path(requested: str | None, remembered: str) -> str:
    from graphsim.checkpoint.library import default_library

    if requested:
        return requested
    if remembered and os.path.isdir(os.path.join(remembered, "checkpoints")):
        return remembered
    return default_library()


def create_window(library: str | None = None, settings_path: str | None = None):
    """The main window on a library (created if missing), with the saved settings; no event loop."""
    from graphsim.checkpoint.library import Library

    from . import settings as settings_mod
    from .main_window import MainWindow

    settings = settings_mod.load(settings_path)
    root = _library_path(library, settings.last_library)
    return MainWindow(Library(root), settings, settings_path)


def application(argv: list[str] | None = None):
    """The QApplication (made once), styled."""
    from PySide6.QtWidgets import QApplication

    from . import theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("graphsim")
        app.setOrganizationName("graphsim")
        app.setApplicationDisplayName("graphsim")
        theme.apply(app)
    return app


def quit_on_ctrl_c(app) -> list[bool]:
    """Ctrl-C in the terminal that started the app closes it, whenever it comes (the handler is
    installed before the window is built). Python runs signal handlers only between bytecodes, so
    a timer wakes the interpreter while Qt's event loop waits. Returns a flag set by Ctrl-C."""
    import signal

    from PySide6.QtCore import QTimer

    pressed = [False]

    def handler(*_):
        pressed[0] = True
        QTimer.singleShot(0, lambda: app.closeAllWindows() or app.quit())

    signal.signal(signal.SIGINT, handler)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return pressed


def main(library: str | None = None) -> int:
    """Open the desktop checkpoint manager on ``library`` (default: the last one, else the user's)."""
    from graphsim.errors import GraphsimError

    from .workers import wait_for_all

    app = application()
    interrupted = quit_on_ctrl_c(app)
    try:
        window = create_window(library)
    except GraphsimError as exc:
        for line in exc.lines():
            print(f"error: {line}", file=sys.stderr)
        return exc.exit_code
    if interrupted[0]:  # Ctrl-C while the window was being built
        window.close()
        return 0
    window.show()
    code = app.exec()
    wait_for_all(5000)
    return code


def script() -> int:
    """``graphsim-gui [LIBRARY]``."""
    parser = argparse.ArgumentParser(prog="graphsim-gui", description="graphsim's desktop checkpoint manager")
    parser.add_argument("library", nargs="?", help="checkpoint library (default: the last one opened, "
                                                   "else $GRAPHSIM_LIBRARY or the user data dir)")
    parser.add_argument("--library", dest="library_option", metavar="LIBRARY", help="the same, as graphsim takes it")
    args = parser.parse_args()
    return main(args.library or args.library_option)


if __name__ == "__main__":
    sys.exit(script())
