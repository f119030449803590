"""Screenshot of the tools/serve.py page after it has scored one file.

``python tools/misc/serve_screenshot.py CONFIG CHECKPOINT MEDIA --out
docs/images/serve_page.png [any tools/serve.py flag, e.g. --num-frames 8]``

Starts the page in this process on a free 127.0.0.1 port (the flags are
tools/serve.py's; its --host and --port are not used here), opens it in
headless Chromium (Debian ``chromium`` and ``chromium-driver``, ``pip
install selenium``), uploads MEDIA through the page's file input, waits for
the score and saves the screenshot. Prints the score line the page shows.
"""
import importlib.util
import shutil
import threading
import time
from pathlib import Path

from qcdet.utils.cli import fail

SERVE = Path(__file__).resolve().parents[1] / 'serve.py'


def load_serve_tool():
    """tools/serve.py as a module: its parser and app builder, not a copy
    of them."""
    spec = importlib.util.spec_from_file_location('serve_tool', SERVE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(serve):
    parser = serve.build_parser()
    parser.description = ('Save a screenshot of the tools/serve.py page '
                          'after it has scored one image or video.')
    parser.add_argument('media', help='image or video to upload')
    parser.add_argument('--out', default='docs/images/serve_page.png',
                        help='PNG to write (default: %(default)s)')
    parser.add_argument('--timeout', type=float, default=300,
                        help='seconds to wait for the page and the score')
    return parser.parse_args()


def main():
    serve = load_serve_tool()
    args = parse_args(serve)
    serve.check_args(args)
    if not Path(args.media).is_file():
        fail(f'media not found: {args.media}')
    if shutil.which('chromedriver') is None:
        fail('no chromedriver: apt-get install chromium '
                   'chromium-driver (and pip install selenium)')
    import uvicorn

    from qcdet.apis.scoring_page import score_in_browser
    uploads, temporary = serve.upload_folder(args)
    server = uvicorn.Server(uvicorn.Config(
        serve.build_app(args, uploads), host='127.0.0.1', port=0,
        log_level='warning'))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + args.timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                fail('the page did not start')
            time.sleep(0.1)
        port = server.servers[0].sockets[0].getsockname()[1]
        text = score_in_browser(f'http://127.0.0.1:{port}/', args.media,
                                args.out, timeout=args.timeout)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if temporary:
            shutil.rmtree(uploads, ignore_errors=True)
    print(text)
    print(f'screenshot written to {args.out}')


if __name__ == '__main__':
    main()
