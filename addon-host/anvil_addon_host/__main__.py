"""`python3 -m anvil_addon_host export --dir D --name N --version V`, `… serve` and `… serve-http --socket S`

The memory limit comes first, before anything of the addon is imported. File descriptor 1 then
becomes a copy of stderr, so that whatever the addon prints lands in the log and stdout carries
only the host's own output: for `export`, exactly one JSON document (exit code 0 whenever it was
written, broken addon or not); for `serve`, one JSON line per request read from stdin (see
`serve.py`; exit code 0 when stdin closes, 3 after a MemoryError).
"""

import argparse
import os
import resource
import sys
from pathlib import Path
from typing import TextIO

DEFAULT_MEMORY_LIMIT_MB = 1024
FALLBACKS_DIR = Path(__file__).parent / "fallbacks"
COMPAT_DIR = Path(__file__).parent / "compat"


def apply_memory_limit() -> None:
    limit_mb = int(os.environ.get("ANVIL_HOST_MEMORY_LIMIT_MB") or DEFAULT_MEMORY_LIMIT_MB)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = limit_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def take_stdout() -> TextIO:
    """A private handle on the real stdout; fd 1 and sys.stdout go to stderr from now on."""
    document_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return document_out


def main() -> None:
    apply_memory_limit()
    # Given back when the addon exhausts the memory, so that the report can still be written.
    memory_reserve = [bytearray(8 * 1024 * 1024)]
    document_out = take_stdout()

    parser = argparse.ArgumentParser(prog="anvil_addon_host")
    commands = parser.add_subparsers(dest="command", required=True)
    export_command = commands.add_parser("export", help="export one addon version as JSON")
    export_command.add_argument("--dir", required=True, type=Path, help="the version folder")
    export_command.add_argument("--name", required=True)
    export_command.add_argument("--version", required=True)
    commands.add_parser("serve", help="answer JSON-line requests on stdin (the live host)")
    http_command = commands.add_parser("serve-http", help="serve addon endpoints and actions on a unix socket")
    http_command.add_argument("--socket", required=True, help="the unix socket path to listen on")
    arguments = parser.parse_args()

    import asyncio
    import json
    import logging

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Stand-ins for what the AYON server image provides and Debian does not; real ones win.
    sys.path.append(str(FALLBACKS_DIR))
    # Our own `fastapi` always: the routing serves what it defines (compat/README.md).
    sys.path.insert(0, str(COMPAT_DIR))

    if arguments.command == "serve":
        from anvil_addon_host.serve import serve

        status = serve(sys.stdin.buffer, document_out, memory_reserve)
        sys.stderr.flush()
        os._exit(status)

    if arguments.command == "serve-http":
        from anvil_addon_host.http_host import serve_http

        try:
            asyncio.run(serve_http(arguments.socket))
        except MemoryError:
            memory_reserve.clear()
            logging.error("MemoryError: the addon HTTP host used up its memory limit; exiting")
            sys.stderr.flush()
            os._exit(3)
        os._exit(0)

    from anvil_addon_host.export import broken_document, export

    addon_dir = arguments.dir.resolve()
    try:
        document = asyncio.run(export(addon_dir, arguments.name, arguments.version))
    except MemoryError:
        memory_reserve.clear()
        document = broken_document("exporting the addon failed: MemoryError (the host's memory limit)")
    document_out.write(json.dumps(document, ensure_ascii=False))
    document_out.write("\n")
    document_out.flush()
    sys.stderr.flush()
    # Threads the addon started must not keep the process alive.
    os._exit(0)


if __name__ == "__main__":
    main()
