"""``futures workshop``: a local web server for the live sliders page.

The server (standard library ``http.server``, one thread per request; one model computation
at a time, batching every waiting request, latest-wins per page: :mod:`.scheduler`; answers
kept per exact settings) answers four paths and nothing else:

``GET /``, ``GET /app.js``, ``GET /style.css``
    the page, from the package's ``workshop_assets`` (read into memory at start; no path
    from a request ever reaches the file system);
``GET /api/meta``
    the sliders, futures, names, colours and times of the session (JSON);
``POST /api/run``
    a JSON body ``{"future": LABEL, "settings": {SLIDER: NUMBER, ...}}`` (optionally the
    page's ``"client": ID, "seq": N``); answers the chart data and the export (override line
    and YAML), or 409 ``{"superseded": true, ...}`` when the same page sent a newer request.

Every request value is checked (known key, type, range): a bad one gets HTTP 400 with a JSON
``error`` naming the key, the value and what is allowed. Requests whose ``Host`` header does
not name the server are refused (a web page elsewhere cannot reach it by DNS rebinding). The
server binds to 127.0.0.1 unless told otherwise, and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import ipaddress
import json
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from omegaconf import DictConfig

from models import compiled
from scenarios import __version__
from scenarios.config.checks import expect, integer, label
from scenarios.config.errors import ConfigError
from scenarios.config.schema import WORKSHOP_KERNELS, RunSpec
from scenarios.engine.command import fail
from scenarios.figures.style import display_name, future_colour
from scenarios.workshop.costs import lever_costs
from scenarios.workshop.export import config_yaml, override_line
from scenarios.workshop.net import (
    READ_TIMEOUT,
    REQUEST_TIME,
    CappedServer,
    allowed_hosts,
    machine_addresses,
)
from scenarios.workshop.scheduler import Scheduler, Superseded
from scenarios.workshop.session import GROUPS, LRU, QUANTILES, VARIANTS, Workshop

#: Largest request body accepted, in bytes (a full request is about 400).
MAX_BODY = 16_384
#: Answers kept by exact settings (about 100 KB each).
RESPONSE_CACHE = 256
LANGS = ("en", "nl")
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
#: Sent with every answer: the page may load only its own scripts, styles and data.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(frozen=True)
class Settings:
    """The validated ``workshop`` config node."""

    members: int
    host: str
    port: int
    lang: str
    kernel: str = "numpy"  # resolved: numpy or numba (``workshop.kernel``)


def check_host(key: str, host: object) -> str:
    """An IP address or ``localhost``; raises :class:`ConfigError` otherwise."""
    ok = host == "localhost"
    if isinstance(host, str) and not ok:
        try:
            ipaddress.ip_address(host)
            ok = True
        except ValueError:
            ok = False
    expect(ok, key, host, "expected an IP address (e.g. 127.0.0.1) or localhost")
    return str(host)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


def settings(cfg: DictConfig) -> Settings:
    """Check the ``workshop`` node of a composed config."""
    node = cfg.workshop
    return Settings(members=integer("workshop.members", node.members, 1, 100_000),
                    host=check_host("workshop.host", node.host),
                    port=integer("workshop.port", node.port, 0, 65535),
                    lang=label("workshop.lang", node.lang, LANGS, "language"),
                    kernel=kernel_of(node.get("kernel", "auto")))


def kernel_of(choice: object) -> str:
    """The kernel ``workshop.kernel`` names: ``auto`` is numba where it is installed."""
    choice = label("workshop.kernel", choice, WORKSHOP_KERNELS, "kernel")
    installed = compiled.available()
    if choice == "auto":
        return "numba" if installed else "numpy"
    expect(choice == "numpy" or installed, "workshop.kernel", choice,
           "numba is not installed (pip install futures-nl[fast]); expected auto or numpy")
    return choice


class Session:
    """What the request handler serves: the model, the start-up overrides, the assets."""

    def __init__(self, spec: RunSpec, startup: list[str], config: Settings) -> None:
        self.spec, self.startup, self.config = spec, startup, config
        self.model = Workshop(spec, config.members, kernel=config.kernel)
        self.scheduler = Scheduler(self.model)  # latest-wins, one batch at a time
        self.lock = threading.Lock()  # guards the answer cache
        self.responses = LRU(RESPONSE_CACHE)
        self.hits = 0
        folder = resources.files("scenarios.workshop") / "assets"
        self.assets = {path: ((folder / name).read_bytes(), kind)
                       for path, (name, kind) in ASSETS.items()}
        self.meta = json.dumps(self._meta()).encode()

    def _meta(self) -> dict[str, Any]:
        model, labels = self.model, self.model.labels
        study, world = self.spec.study, self.spec.world
        names = {lang: {t: display_name(t, lang, study) for t in world.trends +
                        world.areas + tuple(labels)} for lang in LANGS}
        return {
            "futures_version": __version__, "seed": self.spec.seed, "members": model.members,
            "lang": self.config.lang, "events": "off", "quantiles": list(QUANTILES),
            "kernel": model.kernel,
            "variants": list(VARIANTS), "groups": list(GROUPS),
            "times": [round(float(t), 4) for t in model.times],
            "trends": list(world.trends), "areas": list(world.areas),
            "names": names,
            # what the page shows on hover and tap: the meaning (NL where the study has it)
            # and the NDS 2021 lines
            "about": {t.label: {"en": t.description, "nl": t.meaning("nl"),
                                "source": t.source} for t in
                      study.trends + study.areas + study.levers + study.futures},
            "costs": lever_costs(self.spec),  # yearly cost of the levers (issue 17 item 5)
            "futures": [{"label": f, "colour": future_colour(f, labels),
                         "defaults": model.defaults[f]} for f in labels],
            "sliders": [{"key": s.key, "group": s.group, "low": s.low, "high": s.high,
                         "step": s.step, "unit": {"nl": s.unit_nl, "en": s.unit_en},
                         "name": {"nl": s.name_nl, "en": s.name_en}}
                        for s in model.sliders],
        }

    def answer(self, payload: Any) -> tuple[bytes, bool]:
        """Check a ``/api/run`` payload; the JSON answer (chart data and the export).

        Answers are kept per exact settings (:data:`RESPONSE_CACHE` of them): the same
        settings again, from any page, are sent without computing. Raises
        :class:`~scenarios.workshop.scheduler.Superseded` when a newer request of the same
        page (``client``, ``seq``) came in.

        Returns
        -------
        bytes
            The JSON answer.
        bool
            Whether it came from the answer cache.
        """
        expect(isinstance(payload, dict), "body", payload,
               'expected a JSON object {"future": LABEL, "settings": {...}}')
        unknown = sorted(set(payload) - {"future", "settings", "client", "seq"})
        expect(not unknown, f"body.{unknown[0] if unknown else ''}", "...",
               "unknown field; expected future, settings, client and seq")
        client, seq = _sequence(payload)
        future = payload.get("future")
        values = self.model.check(future, payload.get("settings", {}))
        key = (future, tuple(sorted(values.items())))
        with self.lock:
            cached = self.responses.get(key)
        if cached is not None:
            if client is not None:
                self.scheduler.claim(client, seq)
            with self.lock:
                self.hits += 1
            return cached, True
        data = self.scheduler.run(future, values, client, seq)
        defaults = self.model.defaults[future]
        kernel = self.model.kernel
        export = {
            "overrides": override_line(self.spec, self.startup, future, values, defaults,
                                       kernel),
            "yaml": config_yaml(self.spec, self.startup, future, values, defaults, kernel)}
        body = f'{data[:-1]}, "export": {json.dumps(export)}}}'.encode()
        with self.lock:
            self.responses.put(key, body)
        return body, False


#: Pattern of a page's client id (the page makes a random one when it loads).
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _sequence(payload: dict[str, Any]) -> tuple[str | None, int]:
    """The ``client`` id and ``seq`` number of a request (both or neither)."""
    client, seq = payload.get("client"), payload.get("seq")
    if client is None:
        expect(seq is None, "body.seq", seq, "expected together with a client id")
        return None, 0
    expect(isinstance(client, str) and CLIENT_ID.fullmatch(client) is not None,
           "body.client", client, "expected 1-64 letters, digits, '-' or '_'")
    expect(isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2 ** 53,
           "body.seq", seq, "expected an integer in [0, 2**53) that grows with every request")
    return str(client), int(str(seq))


def _no_constants(name: str) -> float:
    raise ConfigError("body", name, "expected JSON numbers; NaN and Infinity are not allowed")


class Handler(BaseHTTPRequestHandler):
    """Answers the page, its assets and the two API paths; nothing else."""

    session: Session  # set on a subclass by :func:`make_server`
    server_version = f"futures-workshop/{__version__}"
    timeout = READ_TIMEOUT  # seconds a socket may stay silent (a stalled body, an idle client)

    def version_string(self) -> str:
        return self.server_version

    def handle_one_request(self) -> None:
        reading = self.server.reading  # type: ignore[attr-defined]
        reading[self.connection] = time.monotonic() + REQUEST_TIME
        try:
            super().handle_one_request()
        finally:
            reading.pop(self.connection, None)

    def _received(self) -> None:
        """The whole request is in: its time limit no longer applies."""
        self.server.reading.pop(self.connection, None)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the page polls on every slider move; errors are logged in _send

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None
              ) -> None:
        if status >= 400 and status != HTTPStatus.CONFLICT:  # 409: superseded, routine
            sys.stderr.write(f"futures workshop: {self.command} {self.path[:200]!r} -> "
                             f"{status}\n")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data, allow_nan=False).encode(),
                   "application/json; charset=utf-8", extra)

    def _error(self, status: int, message: str, err: ConfigError | None = None) -> None:
        data: dict[str, Any] = {"error": message}
        if err is not None:
            data.update(key=err.key, allowed=err.allowed)
        self._json(status, data)

    def _route(self) -> str | None:
        """The request's path if its Host and query are acceptable; else answers 400."""
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.server.allowed_hosts:  # type: ignore[attr-defined]
            self._error(HTTPStatus.BAD_REQUEST, f"Host={host!r}: this server answers only "
                        f"{sorted(self.server.allowed_hosts)}")  # type: ignore[attr-defined]
            return None
        parts = urlsplit(self.path)
        if parts.query:
            self._error(HTTPStatus.BAD_REQUEST, f"query={parts.query[:80]!r}: no path of "
                        "this server takes query parameters")
            return None
        return parts.path

    def do_GET(self) -> None:
        self._received()
        path = self._route()
        if path is None:
            return
        if path in self.session.assets:
            body, kind = self.session.assets[path]
            self._send(HTTPStatus.OK, body, kind)
        elif path == "/api/meta":
            self._send(HTTPStatus.OK, self.session.meta, "application/json; charset=utf-8")
        elif path == "/api/run":
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "/api/run takes POST with a JSON body")
        else:
            self._error(HTTPStatus.NOT_FOUND, f"path={path[:80]!r}: not found; this server "
                        f"answers {[*ASSETS, '/api/meta', '/api/run']}")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        path = self._route()
        if path is None:
            return
        if path != "/api/run":
            status = HTTPStatus.METHOD_NOT_ALLOWED if path in self.session.assets or \
                path == "/api/meta" else HTTPStatus.NOT_FOUND
            self._error(status, f"path={path[:80]!r}: POST goes to /api/run only")
            return
        try:
            payload = self._body()
            self._received()
            started = time.perf_counter()
            body, hit = self.session.answer(payload)
            took = (time.perf_counter() - started) * 1000.0
        except Superseded as err:  # the page has moved on: a short answer it ignores
            self._json(HTTPStatus.CONFLICT, {"error": str(err), "superseded": True,
                                             "seq": err.seq, "latest": err.latest})
            return
        except ConfigError as err:
            self._error(HTTPStatus.BAD_REQUEST, str(err), err)
            return
        except TimeoutError:  # the body stalled past READ_TIMEOUT
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_TIMEOUT, f"body: not received within "
                        f"{READ_TIMEOUT:g} s")
            return
        except Exception as err:  # noqa: BLE001 (a fault of ours: answer 500, keep serving)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(err).__name__}: {err}")
            return
        self._send(HTTPStatus.OK, body, "application/json; charset=utf-8",
                   {"Server-Timing": f'model;dur={took:.1f}, cache;desc="{"hit" if hit else "miss"}"'})

    def _body(self) -> Any:
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        expect(kind == "application/json", "Content-Type", kind, "expected application/json")
        length = self.headers.get("Content-Length")
        expect(length is not None and length.isascii() and length.isdigit()
               and len(length) <= 9, "Content-Length", length,
               "expected the body's length in bytes (ASCII digits)")
        size = int(length)  # type: ignore[arg-type]
        expect(size <= MAX_BODY, "Content-Length", size, f"expected at most {MAX_BODY} bytes")
        raw = self.rfile.read(size)
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ConfigError("body", raw[:60].decode("utf-8", "replace"),
                              f"expected JSON ({err})") from err
        except (ValueError, RecursionError) as err:  # a 5000-digit number, deep nesting
            raise ConfigError("body", raw[:60].decode("utf-8", "replace"), "expected JSON "
                              "of plain numbers nested at most a few levels") from err

    def _refuse(self) -> None:
        self._received()
        if self._route() is not None:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command}: expected "
                                                       "GET, or POST to /api/run")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse


def make_server(session: Session) -> ThreadingHTTPServer:
    """Bind a server for ``session`` (port 0 picks a free port)."""
    handler = type("SessionHandler", (Handler,), {"session": session})
    host = session.config.host
    server_class: type[ThreadingHTTPServer] = CappedServer
    if ":" in host:
        import socket

        server_class = type("Server6", (CappedServer,), {"address_family": socket.AF_INET6})
    server = server_class((host, session.config.port), handler)
    server.daemon_threads = True
    bound = server.server_address[1]
    server.allowed_hosts = allowed_hosts(host, bound)  # type: ignore[attr-defined]
    return server


def _flags(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``--port N``/``--host H`` (or ``--port=N``) from the overrides."""
    flags: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in ("--port", "--host"):
            if not eq:
                expect(i + 1 < len(args), name, "(missing)", "expected a value after it")
                value = args[i + 1]
                i += 1
            flags[name] = value
        elif arg.startswith("-"):
            raise ConfigError("option", arg, "not known; expected --port N, --host ADDRESS "
                                             "(see `futures workshop --help`)")
        else:
            rest.append(arg)
        i += 1
    return flags, rest


def command(args: list[str]) -> int:
    """The ``futures workshop`` command: check the input, start the server, serve."""
    from scenarios.config.compose import load, normalize

    try:
        flags, overrides = _flags(args)
        if "--port" in flags:
            given = flags["--port"]
            expect(given.isdigit() and int(given) <= 65535, "--port", given,
                   "expected an integer in [0, 65535] (0: any free port)")
            overrides.append(f"workshop.port={int(given)}")
        if "--host" in flags:
            overrides.append(f"workshop.host={check_host('--host', flags['--host'])}")
        overrides = normalize(overrides)
        cfg, spec = load(overrides)
        session = Session(spec, overrides, settings(cfg))
    except ConfigError as err:
        return fail(str(err))
    config = session.config
    try:
        server = make_server(session)
    except OSError as err:
        return fail(f"--port={config.port}: cannot listen on {config.host} "
                    f"({err.strerror or err}); choose another port, or 0 for any free one")
    host, port = str(server.server_address[0]), int(server.server_address[1])
    if not is_loopback(config.host):
        print(f"futures workshop: warning: serving on {host}, not only this machine: anyone "
              "who can reach it can use the page", file=sys.stderr)
    if ipaddress.ip_address(host).is_unspecified:  # every interface: addresses one can type
        reachable = machine_addresses() or ["127.0.0.1"]
        urls = "  ".join(f"http://{f'[{a}]' if ':' in a else a}:{port}/" for a in reachable)
        print(f"futures workshop: {len(spec.futures)} futures x {config.members} members; "
              f"open {urls}  (Ctrl-C stops)", flush=True)
    else:
        shown = f"[{host}]" if ":" in str(host) else host
        print(f"futures workshop: {len(spec.futures)} futures x {config.members} members; "
              f"open http://{shown}:{port}/  (Ctrl-C stops)", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C (SIGINT) and SIGTERM both stop; SIGINT explicitly, since a shell starting the
    # server in the background makes Python ignore it otherwise.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("futures workshop: stopped", flush=True)
    return 0

