#!/usr/bin/env python3
"""A local CloudFront edge for a distribution deployed to the emulator.

The rules layer (scripts/aws_rules.py) makes the emulator's control plane
refuse what AWS refuses; this serves the request path the way CloudFront's
documentation says a viewer's request travels it, so a test (or a person
with a browser) reaches the deployed site through what bosun deployed and
nothing else:

  browser -> cache behaviour -> viewer-request CloudFront Function
          -> origin request policy -> origin access control
          -> S3 (bucket policy) or a Lambda function URL (resource policy,
             the code the alias points at, run under a local runtime API)
          -> custom error responses -> response headers policy -> browser

Everything is read from the emulator: the distribution's configuration, its
functions' LIVE code, its policies, the bucket policy, the function's
resource policy, configuration and zip. The configuration is read again
whenever the distribution's ETag changes, so a deploy that changes it is
seen by the next request.

Rules (each cites the page it follows):
  edge-behaviours     Cache behaviours in the order listed, first match wins;
                      `*` matches 0 or more characters, `?` exactly one, case
                      sensitive; the default behaviour last (CloudFront
                      developer guide, "Values that you specify when you
                      create or update a distribution", Path pattern). A
                      method the behaviour does not allow is 403.
  edge-root-object    The default root object answers for `/` only, never a
                      subfolder ("Specify a default root object").
  edge-functions      A viewer-request CloudFront Function (its LIVE stage) runs
                      on the request after the behaviour is chosen and may
                      change it or answer itself ("Event structure" of
                      CloudFront Functions); the edge refuses to start on a
                      function it cannot run, or on Lambda@Edge.
  edge-origin-request The origin request policy decides which viewer headers,
                      cookies and query strings reach the origin; the managed
                      AllViewerExceptHostHeader forwards every viewer header
                      but Host, all cookies and query strings, and no
                      CloudFront-* header ("Use managed origin request
                      policies"); CloudFront-Viewer-Address ("IP:port") only
                      when a policy names it ("Add CloudFront request
                      headers"). X-Amz-Cf-Id and X-Forwarded-For are added
                      ("Request and response behavior for custom origins").
  edge-s3-oac         An S3 origin is read as the principal
                      cloudfront.amazonaws.com with aws:SourceArn = the
                      distribution's ARN when an origin access control signs
                      for it, else anonymously; the bucket policy is
                      evaluated (explicit Deny wins, then Allow); a missing
                      key is 404 NoSuchKey only with s3:ListBucket on the
                      bucket, else 403 AccessDenied (S3 API reference,
                      GetObject, Permissions).
  edge-lambda-oac     A Lambda function URL origin (auth AWS_IAM) is reached
                      only through an origin access control of type lambda:
                      signing `always` overwrites the viewer's Authorization
                      header (API reference, OriginAccessControlConfig); a
                      POST or PUT must carry x-amz-content-sha256 = the
                      body's SHA-256, "Lambda doesn't support unsigned
                      payloads" ("Restrict access to an AWS Lambda function
                      URL origin"), else 403; the alias's resource policy must
                      allow cloudfront.amazonaws.com with this SourceArn both
                      lambda:InvokeFunctionUrl and lambda:InvokeFunction
                      (Lambda developer guide, "Control access to Lambda
                      function URLs": both since October 2025), else 403.
  edge-lambda-event   The function receives the function-URL event, payload
                      2.0 (Lambda developer guide, "Invoking Lambda function
                      URLs"): requestContext.http with sourceIp = the edge's
                      address, cookies apart from headers, a binary body in
                      base64, authorizer.iam for AWS_IAM; its answer's
                      statusCode, headers, cookies and (base64) body become
                      the response, and an answer without statusCode is
                      200 application/json.
  edge-lambda-code    The code that answers is the zip the alias's version
                      holds in the emulator, run as `bootstrap` under a local
                      Lambda runtime API with the version's environment (plus
                      the emulator's endpoint and dummy credentials), one
                      event at a time, within the function's timeout.
                      Internal extensions register during init and get an
                      INVOKE per event; the caller has the answer once the
                      runtime posts it, and the next event waits until every
                      extension has asked for its next ("Using the Lambda
                      Extensions API", Invoke phase).
  edge-error-pages    Custom error responses replace an origin's 4xx/5xx
                      with ResponsePagePath and ResponseCode ("Generating
                      custom error responses").
  edge-headers        A behaviour's response headers policy adds its security
                      and custom headers to every response of that behaviour,
                      replacing the origin's where Override is true ("Adding
                      or removing HTTP headers in CloudFront responses").

Not modelled: caching (every request goes to the origin), HTTPS and the
viewer protocol policy (the edge speaks plain HTTP on 127.0.0.1),
compression, geo restriction, signed URLs, Lambda@Edge.

    scripts/edge.py serve DISTRIBUTION_ID --endpoint URL [--port N] [--lifeline]
        (run by `scripts/emulator.py edge`; needs the emulator's venv: boto3, mini-racer)
"""

import argparse
import base64
import datetime
import hashlib
import http.server
import io
import json
import os
import queue
import re
import secrets
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
import zipfile

HOST = "127.0.0.1"
# A CloudFront edge's address as the origin sees it (the function URL's
# requestContext.http.sourceIp behind a distribution): one address in
# CloudFront's published ranges.
EDGE_IP = "130.176.0.1"
ACCOUNT = "123456789012"
# Lambda's init phase limit (10 s; "Lambda execution environment", Init phase).
INIT_SECONDS = 10
# AWS's managed origin request policies the edge knows ("Use managed origin
# request policies"): id -> the configuration the page documents.
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": {
        "Name": "Managed-AllViewerExceptHostHeader",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Items": ["Host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
    "216adef6-5c7f-47e4-b989-5492eafa07d3": {
        "Name": "Managed-AllViewer",
        "HeadersConfig": {"HeaderBehavior": "allViewer"},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    },
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": {
        "Name": "Managed-CORS-S3Origin",
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Items": [
            "origin", "access-control-request-headers", "access-control-request-method"]}},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
}
# Headers CloudFront itself answers with ("Request and response behavior").
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}


class RefuseToStart(Exception):
    """The distribution uses something the edge cannot serve as CloudFront would."""


# --------------------------------------------------------------------------
# Policies: the part of IAM's evaluation resource policies need here
# --------------------------------------------------------------------------

def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _glob(pattern: str, value: str, case: bool) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, 0 if case else re.IGNORECASE) is not None


def _principal_matches(principal, who) -> bool:
    """`who` is ("Service", name) or ("*", None) for an anonymous caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "AWS" in principal and "*" in _as_list(principal["AWS"]):
        return True
    kind, name = who
    return kind != "*" and name in _as_list(principal.get(kind))


def _conditions_hold(conditions, context) -> bool:
    """IAM condition operators the deployed policies use; an unknown one is
    not guessed at (the statement is taken not to apply and it is said)."""
    ctx = {k.lower(): v for k, v in context.items()}
    for op, tests in (conditions or {}).items():
        base = op.replace("ForAnyValue:", "").replace("ForAllValues:", "")
        if_exists = base.endswith("IfExists")
        base = base[: -len("IfExists")] if if_exists else base
        for key, wanted in tests.items():
            have = ctx.get(key.lower())
            wanted = [str(w) for w in _as_list(wanted)]
            if have is None:
                if if_exists or base == "Null":
                    continue
                return False
            have = str(have)
            if base in ("StringEquals", "ArnEquals"):
                ok = have in wanted
            elif base == "StringEqualsIgnoreCase":
                ok = have.lower() in [w.lower() for w in wanted]
            elif base in ("StringLike", "ArnLike"):
                ok = any(_glob(w, have, True) for w in wanted)
            elif base in ("StringNotEquals", "ArnNotEquals"):
                ok = have not in wanted
            elif base in ("StringNotLike", "ArnNotLike"):
                ok = not any(_glob(w, have, True) for w in wanted)
            elif base == "Bool":
                ok = have.lower() in [w.lower() for w in wanted]
            else:
                print(f"edge: condition operator {op} is not evaluated; statement not applied", file=sys.stderr)
                return False
            if not ok:
                return False
    return True


def allowed(policy, who, action: str, resource: str, context: dict) -> bool:
    """A resource policy's answer for one request: an explicit Deny wins,
    then any Allow; nothing that applies is a deny (IAM user guide, "Policy
    evaluation logic")."""
    verdict = False
    for st in _as_list((policy or {}).get("Statement")):
        if not _principal_matches(st.get("Principal"), who):
            continue
        if "Action" in st and not any(_glob(a, action, False) for a in _as_list(st["Action"])):
            continue
        if "NotAction" in st and any(_glob(a, action, False) for a in _as_list(st["NotAction"])):
            continue
        if "Resource" in st and not any(_glob(r, resource, True) for r in _as_list(st["Resource"])):
            continue
        if "NotResource" in st and any(_glob(r, resource, True) for r in _as_list(st["NotResource"])):
            continue
        if not _conditions_hold(st.get("Condition"), context):
            continue
        if st.get("Effect") == "Deny":
            return False
        verdict = True
    return verdict


# --------------------------------------------------------------------------
# The deployed configuration
# --------------------------------------------------------------------------

def path_pattern_matches(pattern: str, path: str) -> bool:
    """CloudFront's path pattern: `*` 0+ characters, `?` exactly one, case
    sensitive; a pattern without a leading `/` is read with one."""
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    return _glob(pattern, path, True)


def items(container) -> list:
    return list((container or {}).get("Items") or [])


class Deployed:
    """One reading of the distribution and everything its requests touch."""

    def __init__(self, edge: "Edge", etag: str, distribution: dict):
        self.etag = etag
        self.arn = distribution["ARN"]
        self.domain = distribution["DomainName"]
        self.id = distribution["Id"]
        config = distribution["DistributionConfig"]
        self.config = config
        self.root_object = config.get("DefaultRootObject") or ""
        self.origins = {o["Id"]: o for o in items(config.get("Origins"))}
        self.behaviours = items(config.get("CacheBehaviors"))
        self.default = config["DefaultCacheBehavior"]
        self.error_responses = {int(e["ErrorCode"]): e for e in items(config.get("CustomErrorResponses"))}
        self.functions = {}
        self.headers_policies = {}
        self.request_policies = {}
        for b in self.behaviours + [self.default]:
            where = b.get("PathPattern", "the default behaviour")
            if items(b.get("LambdaFunctionAssociations")):
                raise RefuseToStart(f"{where}: Lambda@Edge associations are not run by the local edge")
            for a in items(b.get("FunctionAssociations")):
                arn = a["FunctionARN"]
                if arn not in self.functions:
                    self.functions[arn] = edge.function(arn)
            hp = b.get("ResponseHeadersPolicyId")
            if hp and hp not in self.headers_policies:
                self.headers_policies[hp] = edge.headers_policy(hp)
            orp = b.get("OriginRequestPolicyId")
            if orp and orp not in self.request_policies:
                self.request_policies[orp] = edge.request_policy(orp)
            if b["TargetOriginId"] not in self.origins:
                raise RefuseToStart(f"{where}: targets origin {b['TargetOriginId']}, which the distribution lacks")
        for origin in self.origins.values():
            edge.check_origin(origin)

    def behaviour(self, path: str) -> dict:
        for b in self.behaviours:
            if path_pattern_matches(b["PathPattern"], path):
                return b
        return self.default


class CloudFrontFunction:
    """A CloudFront Function's LIVE code, run in V8 (mini-racer)."""

    def __init__(self, name: str, code: str):
        from py_mini_racer import MiniRacer

        self.name = name
        self.lock = threading.Lock()
        self.ctx = MiniRacer()
        try:
            self.ctx.eval(code)
            kind = self.ctx.eval("typeof handler")
        except Exception as exc:  # noqa: BLE001 - any failure: it cannot run here
            raise RefuseToStart(f"CloudFront Function {name}: its code does not run: {exc}") from exc
        if kind != "function":
            raise RefuseToStart(f"CloudFront Function {name}: defines no `handler` function")

    def run(self, event: dict) -> dict:
        with self.lock:
            out = self.ctx.eval(f"JSON.stringify(handler({json.dumps(event)}))", timeout=1000)
        return json.loads(out)


# --------------------------------------------------------------------------
# Lambda: the deployed code under a local runtime API
# --------------------------------------------------------------------------

class Runtime:
    """One execution environment of a function version: its `bootstrap`
    from the deployed zip, talking to a runtime API (and the Extensions API,
    for internal extensions) served here.

    An invocation, as the Lambda developer guide's "Using the Lambda
    Extensions API" (execution environment lifecycle, Invoke phase) has it:
    the event goes to the runtime and an INVOKE event to every registered
    extension; the caller gets the response as soon as the runtime posts it;
    the invocation ends when the runtime and every extension have asked for
    their next event again, and only then can the next one start."""

    def __init__(self, edge: "Edge", name: str, version: str, region: str):
        self.name, self.version, self.region = name, version, region
        self.lock = threading.Lock()
        self.events = queue.Queue()
        self.results = {}
        self.done = threading.Condition()
        # Extensions API: id -> queue of events; ids still in the invocation.
        self.extensions = {}
        self.extensions_busy = set()
        # Set when the runtime first asks for an event: init is over (every
        # internal extension registers before that), and invocations begin.
        self.initialized = threading.Event()
        lam = edge.client("lambda", region)
        config = lam.get_function_configuration(FunctionName=name, Qualifier=version)
        self.timeout = float(config.get("Timeout") or 3)
        self.arn = config["FunctionArn"]
        arch = (config.get("Architectures") or ["x86_64"])[0]
        if arch != "x86_64" or os.uname().machine != "x86_64":
            raise RefuseToStart(f"function {name}: built for {arch}, which this machine cannot run")
        url = f"{edge.endpoint}/moto-api/bosun-rules/code?" + urllib.parse.urlencode(
            {"region": region, "function": name, "qualifier": version})
        with urllib.request.urlopen(url, timeout=30) as resp:
            code = resp.read()
        self.dir = tempfile.mkdtemp(prefix=f"edge-{name}-{version}-")
        with zipfile.ZipFile(io.BytesIO(code)) as z:
            z.extractall(self.dir)
        bootstrap = os.path.join(self.dir, "bootstrap")
        if not os.path.exists(bootstrap):
            raise RefuseToStart(f"function {name} version {version}: the zip has no bootstrap")
        os.chmod(bootstrap, 0o755)
        self.server = _RuntimeServer(self)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        env = dict((config.get("Environment") or {}).get("Variables") or {})
        env.update({
            "AWS_LAMBDA_RUNTIME_API": f"{HOST}:{self.server.server_address[1]}",
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize") or 128),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{version}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": edge.endpoint,
            "AWS_ACCESS_KEY_ID": "edge",
            "AWS_SECRET_ACCESS_KEY": "edge",
            "LAMBDA_TASK_ROOT": self.dir,
            "_HANDLER": "bootstrap",
            "TZ": ":UTC",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        })
        self.log = open(os.path.join(edge.log_dir, f"edge-{name}.log"), "ab")
        self.proc = subprocess.Popen([bootstrap], cwd=self.dir, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def invoke(self, event: dict):
        """("ok", payload) or ("error", text): one event at a time, as one
        execution environment handles them."""
        with self.lock:
            if self.proc.poll() is not None:
                return "error", f"the runtime exited ({self.proc.returncode}); see edge-{self.name}.log"
            request_id = str(uuid.uuid4())
            deadline = time.time() + self.timeout
            while not self.initialized.wait(0.5):
                if self.proc.poll() is not None or time.time() > deadline + INIT_SECONDS:
                    return "error", f"the runtime did not finish its init; see edge-{self.name}.log"
            # The previous invocation ends when its extensions are done.
            with self.done:
                while self.extensions_busy and self.proc.poll() is None:
                    self.done.wait(0.5)
                self.extensions_busy = set(self.extensions)
            for pending in self.extensions.values():
                pending.put({"eventType": "INVOKE", "deadlineMs": int(deadline * 1000),
                             "requestId": request_id, "invokedFunctionArn": self.arn,
                             "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-0-0;Sampled=0"}})
            self.events.put((request_id, event, int(deadline * 1000)))
            with self.done:
                while request_id not in self.results:
                    left = deadline - time.time()
                    if left <= 0 or self.proc.poll() is not None:
                        return "error", "Task timed out" if left <= 0 else "the runtime exited"
                    self.done.wait(min(left, 0.5))
                return self.results.pop(request_id)

    def register_extension(self) -> str:
        extension_id = str(uuid.uuid4())
        with self.done:
            self.extensions[extension_id] = queue.Queue()
        return extension_id

    def next_for_extension(self, extension_id: str) -> dict:
        """Blocks until the extension's next event; asking again is how an
        extension says it is done with the invocation."""
        with self.done:
            self.extensions_busy.discard(extension_id)
            self.done.notify_all()
        return self.extensions[extension_id].get()

    def settle(self, request_id: str, outcome) -> None:
        with self.done:
            self.results[request_id] = outcome
            self.done.notify_all()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.server.shutdown()
        shutil.rmtree(self.dir, ignore_errors=True)


class _QuietServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A client that hangs up mid-answer (a browser leaving a page, a runtime
    stopped while it waits for an event) is not an error of the edge."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _RuntimeServer(_QuietServer):

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        super().__init__((HOST, 0), _RuntimeHandler)


class _RuntimeHandler(http.server.BaseHTTPRequestHandler):
    """The Lambda runtime API (Lambda developer guide, "Using the Lambda
    runtime API for custom runtimes")."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: bytes = b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        rt = self.server.runtime
        if self.path.endswith("/extension/event/next"):
            extension_id = self.headers.get("Lambda-Extension-Identifier", "")
            if extension_id not in rt.extensions:
                self._answer(403, b'{"errorType":"Extension.Unknown"}')
                return
            event = rt.next_for_extension(extension_id)
            self._answer(200, json.dumps(event).encode(), {"Content-Type": "application/json"})
        elif self.path.endswith("/runtime/invocation/next"):
            rt.initialized.set()
            request_id, event, deadline = rt.events.get()
            self._answer(200, json.dumps(event).encode(), {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": rt.arn,
                "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Sampled=0",
            })
        else:
            self._answer(404)

    def do_POST(self):
        rt = self.server.runtime
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        m = re.search(r"/runtime/invocation/([^/]+)/(response|error)$", self.path)
        if self.path.endswith("/extension/register"):
            # Internal extensions register during init, for INVOKE only
            # (SHUTDOWN is for external extensions).
            wanted = json.loads(body or b"{}").get("events") or []
            if rt.initialized.is_set():
                self._answer(403, b'{"errorType":"Extension.InitPhaseOver"}')
                return
            if "SHUTDOWN" in wanted:
                self._answer(400, b'{"errorType":"ShutdownEventNotSupportedForInternalExtension"}')
                return
            self._answer(200, json.dumps({
                "functionName": rt.name, "functionVersion": rt.version, "handler": "bootstrap",
            }).encode(), {"Content-Type": "application/json",
                          "Lambda-Extension-Identifier": rt.register_extension()})
        elif m:
            rt.settle(m.group(1), ("ok" if m.group(2) == "response" else "error", body))
            self._answer(202)
        elif self.path.endswith("/runtime/init/error"):
            print(f"edge: {rt.name} failed to start: {body.decode(errors='replace')}", file=sys.stderr)
            self._answer(202)
        else:
            self._answer(404)


# --------------------------------------------------------------------------
# The edge
# --------------------------------------------------------------------------

class Edge:
    def __init__(self, endpoint: str, distribution_id: str, log_dir: str, edge_ip: str = EDGE_IP):
        import boto3

        self.endpoint = endpoint
        self.distribution_id = distribution_id
        self.log_dir = log_dir
        self.edge_ip = edge_ip
        self._boto3 = boto3
        self._clients = {}
        self._lock = threading.Lock()
        self._deployed = None
        self._previous = {}
        self._turn = 0
        self._urls = {}
        self._runtimes = {}
        self.cf = self.client("cloudfront", "us-east-1")
        self.current()  # refuse to start on what cannot be served

    def client(self, service: str, region: str):
        key = (service, region)
        if key not in self._clients:
            from botocore.config import Config

            self._clients[key] = self._boto3.client(
                service, region_name=region, endpoint_url=self.endpoint,
                aws_access_key_id="edge", aws_secret_access_key="edge",
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))
        return self._clients[key]

    # -- reading what is deployed ------------------------------------------

    def current(self) -> Deployed:
        """The configuration this request meets: while an update is still
        InProgress, edge locations serve the new one or the previous one,
        so requests take turns between them."""
        out = self.cf.get_distribution(Id=self.distribution_id)
        earlier = self._serving().get("previous") or []
        with self._lock:
            if self._deployed is None or self._deployed.etag != out["ETag"]:
                self._deployed = Deployed(self, out["ETag"], out["Distribution"])
            if not earlier:
                return self._deployed
            serving = [self._deployed]
            for config in earlier:
                key = json.dumps(config, sort_keys=True, default=str)
                if key not in self._previous:
                    self._previous[key] = Deployed(self, key, dict(out["Distribution"], DistributionConfig=config))
                serving.append(self._previous[key])
            self._turn += 1
            return serving[self._turn % len(serving)]

    def _serving(self) -> dict:
        url = f"{self.endpoint}/moto-api/bosun-rules/serving?" + urllib.parse.urlencode(
            {"distribution": self.distribution_id})
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return json.loads(resp.read())
        except OSError:
            return {}  # an emulator without the rules layer: one configuration

    def function(self, arn: str) -> CloudFrontFunction:
        name = arn.rsplit("/", 1)[-1]
        try:
            code = self.cf.get_function(Name=name, Stage="LIVE")["FunctionCode"].read().decode()
        except self.cf.exceptions.ClientError as exc:
            raise RefuseToStart(f"CloudFront Function {name}: no LIVE stage to run ({exc})") from exc
        return CloudFrontFunction(name, code)

    def headers_policy(self, policy_id: str) -> dict:
        try:
            return self.cf.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"][
                "ResponseHeadersPolicyConfig"]
        except self.cf.exceptions.ClientError as exc:
            raise RefuseToStart(f"response headers policy {policy_id}: {exc}") from exc

    def request_policy(self, policy_id: str) -> dict:
        if policy_id in MANAGED_ORIGIN_REQUEST_POLICIES:
            return MANAGED_ORIGIN_REQUEST_POLICIES[policy_id]
        try:
            return self.cf.get_origin_request_policy(Id=policy_id)["OriginRequestPolicy"][
                "OriginRequestPolicyConfig"]
        except self.cf.exceptions.ClientError as exc:
            raise RefuseToStart(f"origin request policy {policy_id}: not a managed policy the edge knows, "
                                f"and the emulator has none by that id ({exc})") from exc

    def access_control(self, oac_id: str) -> dict:
        return self.cf.get_origin_access_control(Id=oac_id)["OriginAccessControl"]["OriginAccessControlConfig"]

    def check_origin(self, origin: dict) -> None:
        domain = origin["DomainName"]
        if s3_bucket_of(domain) is None and lambda_url_region(domain) is None:
            raise RefuseToStart(f"origin {origin['Id']} ({domain}): only S3 bucket and Lambda function URL "
                                "origins are served by the local edge")
        if origin.get("OriginAccessControlId"):
            kind = self.access_control(origin["OriginAccessControlId"])["OriginAccessControlOriginType"]
            want = "s3" if s3_bucket_of(domain) else "lambda"
            if kind != want:
                raise RefuseToStart(f"origin {origin['Id']}: its origin access control is for {kind}, not {want}")

    def runtime(self, name: str, version: str, region: str) -> Runtime:
        key = (name, version)
        with self._lock:
            rt = self._runtimes.get(key)
            if rt is None or rt.proc.poll() is not None:
                # One environment per function: a new version replaces the old.
                for old_key in [k for k in self._runtimes if k[0] == name]:
                    self._runtimes.pop(old_key).stop()
                rt = self._runtimes[key] = Runtime(self, name, version, region)
            return rt

    def stop(self) -> None:
        with self._lock:
            for rt in self._runtimes.values():
                rt.stop()
            self._runtimes.clear()

    # -- one viewer request -------------------------------------------------

    def serve(self, method: str, target: str, headers: list, body: bytes, viewer: tuple) -> tuple:
        """(status, [(header, value)], body) for one viewer request."""
        d = self.current()
        request_id = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
        split = urllib.parse.urlsplit(target)
        uri, query = split.path or "/", split.query
        behaviour = d.behaviour(uri)
        allowed_methods = items(behaviour.get("AllowedMethods")) or ["GET", "HEAD"]
        if method not in allowed_methods:
            return self._finish(d, behaviour, request_id, error_page(
                403, "This distribution is not configured to allow the HTTP request method that was used "
                     "for this request."))
        for assoc in items(behaviour.get("FunctionAssociations")):
            if assoc["EventType"] != "viewer-request":
                continue
            result = d.functions[assoc["FunctionARN"]].run(
                viewer_event(d, request_id, method, uri, query, headers, viewer))
            if "statusCode" in result:
                out_headers = [(k, v["value"]) for k, v in (result.get("headers") or {}).items()]
                return self._finish(d, behaviour, request_id,
                                    (int(result["statusCode"]), out_headers, (result.get("body") or "").encode()))
            uri = result.get("uri", uri)
            query = urllib.parse.urlencode(
                [(k, v["value"]) for k, v in (result.get("querystring") or {}).items()])
            headers = [(k, v["value"]) for k, v in (result.get("headers") or {}).items()]
            cookies = "; ".join(f"{k}={v['value']}" for k, v in (result.get("cookies") or {}).items())
            if cookies:
                headers.append(("Cookie", cookies))
        if uri == "/" and d.root_object:
            uri = "/" + d.root_object
        response = self._origin(d, behaviour, method, uri, query, headers, body, viewer, request_id)
        status = response[0]
        error = d.error_responses.get(status)
        if error and error.get("ResponsePagePath"):
            page = error["ResponsePagePath"]
            page_behaviour = d.behaviour(page)
            page_response = self._origin(d, page_behaviour, "GET", page, "", [], b"", viewer, request_id)
            if page_response[0] < 400:
                code = int(error.get("ResponseCode") or status)
                response = (code, page_response[1], page_response[2])
        return self._finish(d, behaviour, request_id, response)

    def _origin(self, d, behaviour, method, uri, query, headers, body, viewer, request_id):
        origin = d.origins[behaviour["TargetOriginId"]]
        if s3_bucket_of(origin["DomainName"]):
            return self._s3(d, origin, method, uri)
        policy = d.request_policies.get(behaviour.get("OriginRequestPolicyId") or "")
        return self._lambda(d, origin, policy, method, uri, query, headers, body, viewer, request_id)

    def _finish(self, d, behaviour, request_id, response):
        status, headers, body = response
        policy = d.headers_policies.get(behaviour.get("ResponseHeadersPolicyId") or "")
        headers = apply_headers_policy(policy, headers)
        headers = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        headers += [("Via", f"1.1 {secrets.token_hex(16)}.cloudfront.net (CloudFront)"),
                    ("X-Cache", "Miss from cloudfront"), ("X-Amz-Cf-Pop", "LOCAL1-P1"),
                    ("X-Amz-Cf-Id", request_id)]
        return status, headers, body

    # -- S3 through an origin access control --------------------------------

    def _s3(self, d, origin, method, uri):
        bucket = s3_bucket_of(origin["DomainName"])
        region = s3_region_of(origin["DomainName"])
        key = (origin.get("OriginPath") or "") + urllib.parse.unquote(uri)
        key = key.lstrip("/")
        s3 = self.client("s3", region)
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except s3.exceptions.ClientError:
            policy = None
        if origin.get("OriginAccessControlId"):
            who = ("Service", "cloudfront.amazonaws.com")
            context = {"aws:SourceArn": d.arn, "aws:SourceAccount": ACCOUNT}
        else:
            who, context = ("*", None), {}
        if method not in ("GET", "HEAD") or not allowed(policy, who, "s3:GetObject",
                                                        f"arn:aws:s3:::{bucket}/{key}", context):
            return s3_error(403, "AccessDenied", "Access Denied")
        try:
            obj = s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            if allowed(policy, who, "s3:ListBucket", f"arn:aws:s3:::{bucket}", context):
                return s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return s3_error(403, "AccessDenied", "Access Denied")
        data = obj["Body"].read()
        out = [("Content-Type", obj.get("ContentType") or "binary/octet-stream"), ("ETag", obj["ETag"]),
               ("Last-Modified", obj["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT"))]
        for field, name in (("CacheControl", "Cache-Control"), ("ContentEncoding", "Content-Encoding")):
            if obj.get(field):
                out.append((name, obj[field]))
        return 200, out, data if method == "GET" else b""

    # -- a Lambda function URL through an origin access control -------------

    def _url_function(self, domain: str):
        """(function name, qualifier, auth type, region) of the URL whose host
        is `domain`: found once by listing (a URL's host never changes), and
        its auth type read again on every request (it can)."""
        found = self._urls.get(domain)
        if found is not None:
            name, qualifier, region = found
            lam = self.client("lambda", region)
            try:
                cfg = lam.get_function_url_config(FunctionName=name, Qualifier=qualifier)
            except lam.exceptions.ResourceNotFoundException:
                cfg = None
            if cfg and urllib.parse.urlsplit(cfg["FunctionUrl"]).hostname == domain:
                return name, qualifier, cfg["AuthType"], region
            self._urls.pop(domain, None)
        found = self._find_url_function(domain)
        if found is not None:
            self._urls[domain] = (found[0], found[1], found[3])
        return found

    def _find_url_function(self, domain: str):
        region = lambda_url_region(domain)
        lam = self.client("lambda", region)
        for page in lam.get_paginator("list_functions").paginate():
            for f in page["Functions"]:
                for alias in lam.list_aliases(FunctionName=f["FunctionName"])["Aliases"]:
                    try:
                        cfg = lam.get_function_url_config(FunctionName=f["FunctionName"], Qualifier=alias["Name"])
                    except lam.exceptions.ResourceNotFoundException:
                        continue
                    if urllib.parse.urlsplit(cfg["FunctionUrl"]).hostname == domain:
                        return f["FunctionName"], alias["Name"], cfg["AuthType"], region
        return None

    def _lambda(self, d, origin, policy, method, uri, query, headers, body, viewer, request_id):
        forbidden = (403, [("Content-Type", "application/json")], b'{"Message":"Forbidden"}')
        found = self._url_function(origin["DomainName"])
        if found is None:
            return 502, [("Content-Type", "text/plain")], b"the origin's function URL does not exist"
        name, qualifier, auth, region = found
        headers = forward(policy, headers, viewer)
        if auth == "AWS_IAM":
            oac = self.access_control(origin["OriginAccessControlId"]) if origin.get(
                "OriginAccessControlId") else None
            signing = (oac or {}).get("SigningBehavior", "never")
            viewer_auth = any(k.lower() == "authorization" for k, _ in headers)
            if signing == "never" or (signing == "no-override" and viewer_auth) or oac is None:
                return forbidden  # unsigned, or signed by the viewer: not a caller Lambda knows
            digest = hashlib.sha256(body).hexdigest()
            sent = next((v for k, v in headers if k.lower() == "x-amz-content-sha256"), None)
            # "Lambda doesn't support unsigned payloads": any body (PUT and
            # POST by the guide's words; PATCH and DELETE bodies alike).
            if (method in ("POST", "PUT") or body) and sent != digest:
                return 403, [("Content-Type", "application/json")], json.dumps({
                    "message": "The request signature we calculated does not match the signature you provided. "
                               "Check your AWS Secret Access Key and signing method. Consult the service "
                               "documentation for details."}).encode()
            # Signing `always`: the viewer's Authorization is overwritten.
            headers = [(k, v) for k, v in headers if k.lower() not in (
                "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")]
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            headers += [("x-amz-date", stamp), ("x-amz-content-sha256", digest),
                        ("Authorization", f"AWS4-HMAC-SHA256 Credential=ASIAEDGE/{stamp[:8]}/{region}/lambda/"
                                          f"aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                                          f"Signature={secrets.token_hex(32)}")]
            lam = self.client("lambda", region)
            try:
                resource_policy = json.loads(lam.get_policy(FunctionName=name, Qualifier=qualifier)["Policy"])
            except lam.exceptions.ResourceNotFoundException:
                resource_policy = None
            function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}:{qualifier}"
            context = {"aws:SourceArn": d.arn, "aws:SourceAccount": ACCOUNT,
                       "lambda:FunctionUrlAuthType": "AWS_IAM", "lambda:InvokedViaFunctionUrl": "true"}
            who = ("Service", "cloudfront.amazonaws.com")
            for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction"):
                if not allowed(resource_policy, who, action, function_arn, context):
                    return forbidden
        version = self.client("lambda", region).get_alias(FunctionName=name, Name=qualifier)["FunctionVersion"]
        event = url_event(origin["DomainName"], method, uri, query, headers, body, self.edge_ip, auth)
        outcome, payload = self.runtime(name, version, region).invoke(event)
        if outcome != "ok":
            print(f"edge: {name}:{qualifier} failed: {payload!r}", file=sys.stderr)
            return 502, [("Content-Type", "application/json")], b'{"Message":"Internal Server Error"}'
        return url_response(payload)


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------

def s3_bucket_of(domain: str):
    m = re.fullmatch(r"(.+)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com", domain)
    return m.group(1) if m else None


def s3_region_of(domain: str) -> str:
    m = re.fullmatch(r".+\.s3[.-]([a-z0-9-]+)\.amazonaws\.com", domain)
    return m.group(1) if m else "us-east-1"


def lambda_url_region(domain: str):
    m = re.fullmatch(r"[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws", domain)
    return m.group(1) if m else None


def s3_error(status: int, code: str, message: str):
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>")
    return status, [("Content-Type", "application/xml")], body.encode()


def error_page(status: int, text: str):
    body = f"<html><body><h1>{status} ERROR</h1><p>The request could not be satisfied.</p><p>{text}</p></body></html>"
    return status, [("Content-Type", "text/html")], body.encode()


def viewer_event(d, request_id, method, uri, query, headers, viewer):
    """The CloudFront Functions event ("Event structure"), viewer-request."""
    hs = {}
    cookies = {}
    for k, v in headers:
        if k.lower() == "cookie":
            for part in v.split(";"):
                if "=" in part:
                    ck, cv = part.strip().split("=", 1)
                    cookies[ck] = {"value": cv}
        else:
            hs[k.lower()] = {"value": v}
    qs = {k: {"value": v} for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)}
    return {"version": "1.0",
            "context": {"distributionDomainName": d.domain, "distributionId": d.id,
                        "eventType": "viewer-request", "requestId": request_id},
            "viewer": {"ip": viewer[0]},
            "request": {"method": method, "uri": uri, "querystring": qs, "headers": hs, "cookies": cookies}}


def forward(policy, headers, viewer):
    """The headers that reach the origin under an origin request policy
    (cookies travel in the Cookie header), plus what CloudFront adds."""
    if policy is None:
        kept = []
        cloudfront = []
    else:
        hc = policy.get("HeadersConfig") or {}
        behaviour = hc.get("HeaderBehavior", "none")
        named = [h.lower() for h in items(hc.get("Headers"))]
        if behaviour == "none":
            kept = []
        elif behaviour == "whitelist":
            kept = [(k, v) for k, v in headers if k.lower() in named]
        elif behaviour == "allExcept":
            kept = [(k, v) for k, v in headers if k.lower() not in named]
        elif behaviour in ("allViewer", "allViewerAndWhitelistCloudFront"):
            kept = list(headers)
        else:
            raise RefuseToStart(f"origin request policy header behaviour {behaviour} is not known")
        kept = [(k, v) for k, v in kept if k.lower() != "host" and not k.lower().startswith("cloudfront-")]
        cloudfront = [h for h in named if h.startswith("cloudfront-")] if behaviour in (
            "whitelist", "allViewerAndWhitelistCloudFront") else []
        cookie_behaviour = (policy.get("CookiesConfig") or {}).get("CookieBehavior", "none")
        if cookie_behaviour == "none":
            kept = [(k, v) for k, v in kept if k.lower() != "cookie"]
        elif cookie_behaviour != "all":
            raise RefuseToStart(f"origin request policy cookie behaviour {cookie_behaviour} is not modelled")
    added = []
    for h in cloudfront:
        if h == "cloudfront-viewer-address":
            added.append(("CloudFront-Viewer-Address", f"{viewer[0]}:{viewer[1]}"))
    xff = next((v for k, v in headers if k.lower() == "x-forwarded-for"), None)
    added.append(("X-Forwarded-For", f"{xff}, {viewer[0]}" if xff else viewer[0]))
    added.append(("X-Amz-Cf-Id", secrets.token_urlsafe(42)))
    kept = [(k, v) for k, v in kept if k.lower() not in ("x-forwarded-for", "x-amz-cf-id")]
    return kept + added


TEXT_TYPES = re.compile(r"^(text/.*|application/(json|javascript|xml|x-www-form-urlencoded)|.*\+json|.*\+xml)",
                        re.IGNORECASE)


def url_event(domain, method, uri, query, headers, body, source_ip, auth):
    """The function-URL request event, payload format 2.0."""
    hs = {}
    cookies = []
    for k, v in headers:
        if k.lower() == "cookie":
            cookies += [c.strip() for c in v.split(";") if c.strip()]
            continue
        hs[k.lower()] = f"{hs[k.lower()]},{v}" if k.lower() in hs else v
    hs["host"] = domain
    params = {}
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        params[k] = f"{params[k]},{v}" if k in params else v
    now = datetime.datetime.now(datetime.timezone.utc)
    text = TEXT_TYPES.match(hs.get("content-type", "")) is not None
    try:
        plain = body.decode() if text else None
    except UnicodeDecodeError:
        plain = None
    context = {
        "accountId": "anonymous" if auth != "AWS_IAM" else ACCOUNT,
        "apiId": domain.split(".", 1)[0],
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {"method": method, "path": urllib.parse.unquote(uri), "protocol": "HTTP/1.1",
                 "sourceIp": source_ip, "userAgent": hs.get("user-agent", "")},
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if auth == "AWS_IAM":
        context["authorizer"] = {"iam": {
            "accessKey": "ASIAEDGE", "accountId": ACCOUNT, "callerId": "AROAEDGE:cloudfront",
            "cognitoIdentity": None, "principalOrgId": None,
            "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/cloudfront/edge", "userId": "AROAEDGE:cloudfront"}}
    event = {"version": "2.0", "routeKey": "$default", "rawPath": uri, "rawQueryString": query,
             "headers": hs, "requestContext": context, "isBase64Encoded": False}
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if body:
        if plain is not None:
            event["body"] = plain
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def url_response(payload: bytes):
    """A function URL's answer from the function's output."""
    try:
        out = json.loads(payload)
    except ValueError:
        return 200, [("Content-Type", "application/json")], payload
    if not isinstance(out, dict) or "statusCode" not in out:
        return 200, [("Content-Type", "application/json")], payload
    headers = [(k, str(v)) for k, v in (out.get("headers") or {}).items()]
    headers += [("Set-Cookie", c) for c in out.get("cookies") or []]
    body = out.get("body") or ""
    body = base64.b64decode(body) if out.get("isBase64Encoded") else body.encode()
    return int(out["statusCode"]), headers, body


def apply_headers_policy(policy, headers):
    if not policy:
        return headers
    out = list(headers)

    def put(name, value, override):
        nonlocal out
        present = any(k.lower() == name.lower() for k, _ in out)
        if present and not override:
            return
        out = [(k, v) for k, v in out if k.lower() != name.lower()] + [(name, value)]

    sec = policy.get("SecurityHeadersConfig") or {}
    if "StrictTransportSecurity" in sec:
        s = sec["StrictTransportSecurity"]
        value = f"max-age={s['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if s.get("IncludeSubdomains") else ""
        value += "; preload" if s.get("Preload") else ""
        put("Strict-Transport-Security", value, s.get("Override"))
    if "ContentTypeOptions" in sec:
        put("X-Content-Type-Options", "nosniff", sec["ContentTypeOptions"].get("Override"))
    if "FrameOptions" in sec:
        put("X-Frame-Options", sec["FrameOptions"]["FrameOption"], sec["FrameOptions"].get("Override"))
    if "ReferrerPolicy" in sec:
        put("Referrer-Policy", sec["ReferrerPolicy"]["ReferrerPolicy"], sec["ReferrerPolicy"].get("Override"))
    if "ContentSecurityPolicy" in sec:
        c = sec["ContentSecurityPolicy"]
        put("Content-Security-Policy", c["ContentSecurityPolicy"], c.get("Override"))
    if "XSSProtection" in sec:
        x = sec["XSSProtection"]
        value = "1" if x.get("Protection") else "0"
        value += "; mode=block" if x.get("ModeBlock") else ""
        put("X-XSS-Protection", value, x.get("Override"))
    for h in items(policy.get("CustomHeadersConfig")):
        put(h["Header"], h["Value"], h.get("Override"))
    removed = {h["Header"].lower() for h in items(policy.get("RemoveHeadersConfig"))}
    return [(k, v) for k, v in out if k.lower() not in removed]


# --------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------

class _EdgeServer(_QuietServer):

    def __init__(self, edge: Edge, port: int):
        self.edge = edge
        super().__init__((HOST, port), _EdgeHandler)


class _EdgeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CloudFront"
    sys_version = ""

    def log_message(self, *args):
        if os.environ.get("BOSUN_EDGE_VERBOSE"):
            super().log_message(*args)

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = list(self.headers.items())
        try:
            status, out_headers, out_body = self.server.edge.serve(
                self.command, self.path, headers, body, self.client_address)
        except RefuseToStart as exc:
            status, out_headers, out_body = error_page(502, f"the local edge cannot serve this: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bug here must not look like CloudFront's answer
            print(f"edge: {self.command} {self.path}: {exc!r}", file=sys.stderr)
            status, out_headers, out_body = error_page(500, "the local edge failed; see its log")
        self.send_response(status)
        for k, v in out_headers:
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(out_body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out_body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


def serve(endpoint: str, distribution_id: str, port: int, lifeline: bool, log_dir: str) -> None:
    try:
        edge = Edge(endpoint, distribution_id, log_dir)
    except RefuseToStart as exc:
        raise SystemExit(f"edge: refusing to start for {distribution_id}: {exc}")
    server = _EdgeServer(edge, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready http://{HOST}:{server.server_address[1]}", flush=True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tools import wait_for_stop

    wait_for_stop(lifeline)
    server.shutdown()
    edge.stop()
    # V8's threads can keep the interpreter from exiting; everything is stopped.
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("distribution")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--lifeline", action="store_true")
    p.add_argument("--log-dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    serve(args.endpoint, args.distribution, args.port, args.lifeline, args.log_dir)


if __name__ == "__main__":
    main()
