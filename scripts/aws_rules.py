"""AWS's documented rules that moto does not enforce, installed into the
emulator process (scripts/emulator.py serve) before it starts.

moto is lenient where AWS is strict. bosun's tests, demo and benchmarks run
against moto, so every rule here is one that would otherwise let a bug
through that real AWS catches. Each rule cites the page it comes from. The
product code knows nothing of this file: it talks to the emulator exactly as
it talks to AWS.

Rules: each installer below is registered with the rules it adds, by
name and with what each does (`@rules(...)`): that registry is the only
list. `python3 scripts/aws_rules.py` prints it; GET /moto-api/bosun-rules
answers it.

Control (tests only), POST /moto-api/bosun-rules with a JSON body:
  {"ttl_window_over": "TABLE"}            the table's hour has passed
  {"ttl_settle_seconds": N, "table": T}   ENABLING/DISABLING lasts N s on T (default 0)
  {"deploy_seconds": N, "distribution": ID}
                                          updates of ID stay InProgress N s
  {"update_latency_seconds": N, "distribution": ID}
                                          UpdateDistribution on ID answers N s after
                                          applying the change
  {"invalidation_seconds": N, "distribution": ID}
                                          invalidations on ID stay InProgress N s
  {"versioning_settle_seconds": N, "bucket": B}
                                          writes to B land unversioned for N s after
                                          its first PutBucketVersioning
  {"issue_certificate": ARN}              the requested ACM certificate ARN (us-east-1)
                                          is ISSUED: its DNS validation record was
                                          published (moto issues only after 60 s)
GET /moto-api/bosun-rules lists the rules in force.
GET /moto-api/bosun-rules/code?region=R&function=F&qualifier=Q
                                          the zip that version or alias runs
GET /moto-api/bosun-rules/mail?region=R   the messages SES accepted (JSON)
GET /moto-api/bosun-rules/serving?distribution=ID
                                          the distribution's ETag, and the earlier
                                          configurations edges still serve while an
                                          update is InProgress (else [])
"""

import copy
import json
import re
import warnings
import threading
import time
import urllib.parse

LOCK = threading.Lock()
# The response object whose request is being authorized (_iam_services).
CURRENT = threading.local()
# table name -> (time of the last UpdateTimeToLive, settle seconds)
TTL_UPDATES = {}
TTL_SETTLE = {}
TTL_WINDOW_SECONDS = 3600.0
# distribution id -> seconds an invalidation stays InProgress
INVALIDATION_SECONDS = {}
# distribution id -> seconds an update stays InProgress (old config still served)
DEPLOY_SECONDS = {}
# distribution id -> seconds UpdateDistribution takes to answer (applied at once)
UPDATE_LATENCY = {}
# bucket -> seconds its first versioning takes to apply to writes, and when
# versioning was first enabled on it
VERSIONING_SETTLE = {}
FIRST_VERSIONING = {}
# The bucket a PutObject on this thread writes unversioned (s3-versioning-settles).
S3_WRITE = threading.local()
# (distribution id, caller reference) -> invalidation
CALLER_REFERENCES = {}

# name -> what the rule does, in the order the installers register them.
RULES = {}
# the installers, each once, in registration order
INSTALLERS = []


def rules(*named):
    """Registers an installer with the rules it adds: (name, description) pairs."""
    def register(installer):
        for name, description in named:
            assert name not in RULES, name
            RULES[name] = " ".join(description.split())
        INSTALLERS.append(installer)
        return installer
    return register

# Lambda quotas: 1,000 concurrent executions per Region by default, of which
# at least 100 stay unreserved (PutFunctionConcurrency API reference).
ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100

ENV_KEY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
ENV_MAX_BYTES = 4096
WILDCARDS_IN_PROGRESS = 15
FILES_IN_PROGRESS = 3000


# SESv2 GetAccount as a production account in good standing would answer it
# (SESv2 API reference, GetAccount response elements).
SES_ACCOUNT = {
    "DedicatedIpAutoWarmupEnabled": False,
    "EnforcementStatus": "HEALTHY",
    "ProductionAccessEnabled": True,
    "SendingEnabled": True,
    "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 0.0},
}


def install() -> None:
    # moto warns that the errors below are not in its service model; they are
    # in CloudFront's (CreateInvalidation API reference, Errors).
    warnings.filterwarnings("ignore", message=".*does not match an error shape.*")
    for installer in INSTALLERS:
        installer()
    _control()


@rules(
    ("cloudfront-caller-reference", 'CreateInvalidation with a CallerReference already used on the distribution returns the earlier invalidation (same paths) or fails with InvalidationBatchAlreadyExists (other paths).'),
    ("cloudfront-in-progress", 'Invalidations stay InProgress for a while (set per distribution, default 0 s); at most 15 wildcard paths and 3,000 file paths in progress per distribution, beyond that TooManyInvalidationsInProgress.'),
    ("cloudfront-origin-access", "An origin's OriginAccessControlId is kept (moto drops it), so a distribution reads back which origin access control signs for each origin."),
)
def _cloudfront() -> None:
    from moto.cloudfront import models
    from moto.cloudfront.exceptions import CloudFrontException

    class InvalidationBatchAlreadyExists(CloudFrontException):
        def __init__(self) -> None:
            super().__init__(
                "InvalidationBatchAlreadyExists",
                "The CallerReference you are using to create an invalidation batch is associated with another invalidation batch with different content.",
            )

    class TooManyInvalidationsInProgress(CloudFrontException):
        def __init__(self) -> None:
            super().__init__(
                "TooManyInvalidationsInProgress",
                "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.",
            )

    # CreateDistribution / UpdateDistribution (CloudFront API reference,
    # Origin): OriginAccessControlId is part of the origin and read back by
    # GetDistributionConfig; moto does not keep it.
    original_origin = models.Origin.__init__

    def origin_init(self, origin):
        original_origin(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    models.Origin.__init__ = origin_init

    original_create = models.CloudFrontBackend.create_invalidation

    def in_progress(invalidation) -> bool:
        return time.monotonic() < getattr(invalidation, "_bosun_until", 0)

    def create_invalidation(self, dist_id, paths, caller_ref):
        # CreateInvalidation API reference, InvalidationBatch.CallerReference:
        # "If the CallerReference is a value that you already sent in a
        # previous invalidation batch request but the content of any Path is
        # different from the original request, CloudFront returns an
        # InvalidationBatchAlreadyExists error." Same content: "the response
        # includes the same information returned to the original request".
        with LOCK:
            earlier = CALLER_REFERENCES.get((dist_id, caller_ref))
            if earlier is not None:
                if sorted(earlier.paths) != sorted(paths):
                    raise InvalidationBatchAlreadyExists()
                return earlier
            # CloudFront developer guide, "Concurrent invalidation request
            # maximum": up to 3,000 file paths and up to 15 wildcard paths in
            # progress at one time per distribution.
            running = [i for i in self.invalidations.get(dist_id, []) if in_progress(i)]
            wild = sum(1 for i in running for p in i.paths if p.endswith("*"))
            files = sum(1 for i in running for p in i.paths if not p.endswith("*"))
            new_wild = sum(1 for p in paths if p.endswith("*"))
            if wild + new_wild > WILDCARDS_IN_PROGRESS or files + len(paths) - new_wild > FILES_IN_PROGRESS:
                raise TooManyInvalidationsInProgress()
            invalidation = original_create(self, dist_id, paths, caller_ref)
            invalidation._bosun_until = time.monotonic() + INVALIDATION_SECONDS.get(dist_id, 0)
            CALLER_REFERENCES[(dist_id, caller_ref)] = invalidation
            return invalidation

    def status(self):
        return "InProgress" if in_progress(self) else "Completed"

    def set_status(self, value):
        pass

    models.CloudFrontBackend.create_invalidation = create_invalidation
    # Real CloudFront reports InProgress, then Completed (GetInvalidation API reference).
    models.Invalidation.status = property(status, set_status)


@rules(
    ("cloudfront-deployment", 'UpdateDistribution needs the current ETag as If-Match (PreconditionFailed) and answers a new one; the distribution stays InProgress for a while (set per distribution, default 0 s), its previous configuration still served meanwhile.'),
)
def _cloudfront_deployment() -> None:
    """UpdateDistribution as CloudFront runs it: the answer's ETag is a new
    version (every update has one; moto keeps the first), and the change
    takes a while to reach every edge location: the distribution is
    InProgress meanwhile (set per distribution, default 0 s) and edge
    locations that have not yet got it serve the previous configuration
    ("Update a distribution": "Until your configuration is updated in an
    edge location, CloudFront continues to serve your content from that
    location based on the previous configuration"). The local edge asks
    GET /moto-api/bosun-rules/serving for both."""
    from moto.cloudfront import models
    from moto.moto_api._internal import mock_random

    original_init = models.Distribution.__init__

    # moto's models replace parts of the request's config with objects: the
    # configuration as sent is copied first.
    def init(self, account_id, region_name, config):
        raw = copy.deepcopy(config)
        original_init(self, account_id, region_name, config)
        self._bosun_raw = raw

    models.Distribution.__init__ = init
    original_update = models.CloudFrontBackend.update_distribution

    def update_distribution(self, dist_config, _id, if_match):
        dist = self.distributions.get(_id)
        # UpdateDistribution API reference, IfMatch: "The value of the ETag
        # header that you received when retrieving the distribution's
        # configuration"; another is PreconditionFailed (moto ignores it).
        if dist is not None and if_match and if_match != dist.etag:
            from moto.cloudfront.exceptions import CloudFrontException

            raise CloudFrontException("PreconditionFailed", "The If-Match version is missing or not valid for the resource.")
        previous = getattr(dist, "_bosun_raw", None)
        raw = copy.deepcopy(dist_config)
        dist, location, _ = original_update(self, dist_config, _id, if_match)
        dist.etag = mock_random.get_random_hex(14).upper()
        dist._bosun_raw = raw
        seconds = DEPLOY_SECONDS.get(_id, 0)
        if seconds > 0 and previous is not None:
            # Every configuration since the distribution was last Deployed
            # may still be live somewhere until this one has reached every
            # edge location.
            now = time.monotonic()
            pending = getattr(dist, "_bosun_previous", []) if now < getattr(dist, "_bosun_deployed_at", 0) else []
            dist._bosun_previous = pending + [previous]
            dist._bosun_deployed_at = now + seconds
        # The answer comes once the change is accepted; edge locations may
        # already serve it meanwhile (a test knob: seconds per distribution).
        time.sleep(UPDATE_LATENCY.get(_id, 0))
        return dist, location, dist.etag

    models.CloudFrontBackend.update_distribution = update_distribution
    managed_status = models.Distribution.status

    def status(self):
        if time.monotonic() < getattr(self, "_bosun_deployed_at", 0):
            return "InProgress"
        return managed_status.fget(self)

    def set_status(self, value):
        managed_status.fset(self, value)

    models.Distribution.status = property(status, set_status)


@rules(
    ("cloudfront-functions", 'DEVELOPMENT and LIVE stages, PublishFunction, UpdateFunction, FunctionAssociations kept.'),
)
def _cloudfront_functions() -> None:
    """CloudFront Functions as the CloudFront API reference describes them,
    where moto stops short: a function has a DEVELOPMENT and a LIVE stage
    (CreateFunction/UpdateFunction write DEVELOPMENT, PublishFunction copies
    it to LIVE; DescribeFunction/GetFunction read either, LIVE only once
    published), and a distribution keeps its cache behaviour's
    FunctionAssociations (moto drops them)."""
    from moto.cloudfront import models, urls
    from moto.cloudfront.exceptions import NoSuchFunctionExists
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.responses import ActionResult as models_result
    from moto.moto_api._internal import mock_random

    original_behaviour = models.DefaultCacheBehaviour.__init__

    def behaviour_init(self, config):
        original_behaviour(self, config)
        associations = config.get("FunctionAssociations") or {}
        items = associations.get("Items") or []
        if items:
            self.function_associations = {"Quantity": len(items), "Items": items}

    models.DefaultCacheBehaviour.__init__ = behaviour_init

    def summary(function, stage):
        out = dict(function.function_summary)
        meta = dict(out["FunctionMetadata"])
        meta["Stage"] = stage
        out["FunctionMetadata"] = meta
        if stage == "LIVE":
            out["FunctionConfig"] = function._bosun_live["config"]
            out["Status"] = "UNASSOCIATED"
        return out

    def live(self, name):
        function = self.backend.describe_function(name=name)
        if self._get_param("Stage") == "LIVE":
            if getattr(function, "_bosun_live", None) is None:
                raise NoSuchFunctionExists(name)
            return function, "LIVE"
        return function, "DEVELOPMENT"

    def describe_function(self):
        function, stage = live(self, self._get_param("Name"))
        return models_result({"FunctionSummary": summary(function, stage), "ETag": function.etag})

    def get_function(self):
        function, stage = live(self, self._get_param("Name"))
        code = function._bosun_live["code"] if stage == "LIVE" else function.code
        return models_result({"FunctionCode": code, "ETag": function.etag, "ContentType": "application/octet-stream"})

    def update_function(self):
        function = self.backend.describe_function(name=self._get_param("Name"))
        function.config = self._get_param("FunctionConfig", {}) or function.config
        function.code = self._get_param("FunctionCode")
        function.etag = mock_random.get_random_hex(14).upper()
        return models_result({"FunctionSummary": summary(function, "DEVELOPMENT"), "ETag": function.etag})

    def publish_function(self):
        function = self.backend.describe_function(name=self._get_param("Name"))
        function._bosun_live = {"code": function.code, "config": function.config}
        function.status = "UNASSOCIATED"
        return models_result({"FunctionSummary": summary(function, "LIVE")})

    CloudFrontResponse.describe_function = describe_function
    CloudFrontResponse.get_function = get_function
    CloudFrontResponse.update_function = update_function
    CloudFrontResponse.publish_function = publish_function
    urls.url_paths["{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$"] = CloudFrontResponse.dispatch


@rules(
    ("cloudfront-headers-policies", "Response headers policies (Create, Get, List, Update with If-Match), which moto lacks; a cache behaviour's ResponseHeadersPolicyId is kept."),
)
def _cloudfront_headers_policies() -> None:
    """Response headers policies as the CloudFront API reference describes
    them (CreateResponseHeadersPolicy, GetResponseHeadersPolicy,
    ListResponseHeadersPolicies, UpdateResponseHeadersPolicy): an id, an
    ETag that changes with every update and must be sent as If-Match, and a
    name unique in the account (ResponseHeadersPolicyAlreadyExists)."""
    _cloudfront_policies("ResponseHeadersPolicy", "response_headers_policy", "response-headers-policy",
                         "response headers policy")


@rules(
    ("cloudfront-origin-request-policies", 'Origin request policies (Create, Get, List, Update with If-Match), which moto lacks.'),
)
def _cloudfront_origin_request_policies() -> None:
    """Origin request policies as the CloudFront API reference describes them
    (CreateOriginRequestPolicy, GetOriginRequestPolicy,
    ListOriginRequestPolicies, UpdateOriginRequestPolicy), which moto lacks:
    the same id, ETag and unique-name rules as response headers policies. A
    cache behaviour's OriginRequestPolicyId is kept by moto already."""
    _cloudfront_policies("OriginRequestPolicy", "origin_request_policy", "origin-request-policy",
                         "origin request policy")


def _cloudfront_policies(shape: str, snake: str, path: str, what: str) -> None:
    """One kind of CloudFront policy (`shape` is its API name, e.g.
    ResponseHeadersPolicy): Create, Get, List and Update with If-Match."""
    from moto.cloudfront import urls
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.responses import ActionResult
    from moto.moto_api._internal import mock_random
    from moto.core.utils import utcnow

    config_key = f"{shape}Config"

    def store(self):
        attr = f"_bosun_{snake}"
        if not hasattr(self.backend, attr):
            setattr(self.backend, attr, {})
        return getattr(self.backend, attr)

    def policy_result(policy):
        return {"Id": policy["id"], "LastModifiedTime": policy["modified"], config_key: policy["config"]}

    def create(self):
        config = self._get_param(config_key, {})
        policies = store(self)
        if any(p["config"].get("Name") == config.get("Name") for p in policies.values()):
            raise CloudFrontException(f"{shape}AlreadyExists", f"A {what} with this name already exists.")
        policy = {"id": mock_random.get_random_hex(8) + "-0000-4000-8000-" + mock_random.get_random_hex(12),
                  "etag": mock_random.get_random_hex(14).upper(), "config": config, "modified": utcnow()}
        policies[policy["id"]] = policy
        return ActionResult({shape: policy_result(policy), "ETag": policy["etag"],
                             "Location": f"https://cloudfront.amazonaws.com/2020-05-31/{path}/{policy['id']}"})

    def find(self):
        policy = store(self).get(self._get_param("Id"))
        if policy is None:
            raise CloudFrontException(f"NoSuch{shape}", f"The {what} does not exist.")
        return policy

    def get(self):
        policy = find(self)
        return ActionResult({shape: policy_result(policy), "ETag": policy["etag"]})

    def update(self):
        policy = find(self)
        if self._get_param("IfMatch") != policy["etag"]:
            raise CloudFrontException("PreconditionFailed", "The If-Match version is missing or not valid.")
        policy["config"] = self._get_param(config_key, {})
        policy["etag"] = mock_random.get_random_hex(14).upper()
        policy["modified"] = utcnow()
        return ActionResult({shape: policy_result(policy), "ETag": policy["etag"]})

    def listing(self):
        kind = self._get_param("Type")
        items = [] if kind == "managed" else [
            {"Type": "custom", shape: policy_result(p)} for p in store(self).values()
        ]
        return ActionResult({f"{shape}List": {"MaxItems": 100, "Quantity": len(items), "Items": items}})

    setattr(CloudFrontResponse, f"create_{snake}", create)
    setattr(CloudFrontResponse, f"get_{snake}", get)
    setattr(CloudFrontResponse, f"update_{snake}", update)
    setattr(CloudFrontResponse, f"list_{snake.replace('policy', 'policies')}", listing)
    urls.url_paths["{0}/2020-05-31/" + path + "$"] = CloudFrontResponse.dispatch
    urls.url_paths["{0}/2020-05-31/" + path + "/(?P<policy_id>[^/]+)$"] = CloudFrontResponse.dispatch


@rules(
    ("dynamodb-atomic", "Each DynamoDB request is applied whole before the next one reads or writes (conditional writes are atomic, TransactWriteItems all-or-nothing and serializable with other writes and reads): moto's threaded server interleaves them, so two concurrent conditional claims of one item could both succeed."),
)
def _dynamodb_atomic() -> None:
    from moto.dynamodb.responses import DynamoHandler

    # DynamoDB developer guide, "Amazon DynamoDB Transactions: How it works":
    # the actions of TransactWriteItems "are completed atomically", and
    # transactions are serializable with PutItem, UpdateItem, DeleteItem and
    # GetItem; a single conditional write is atomic (Condition expressions).
    # moto checks a condition and writes in separate Python steps, and its
    # threaded server runs requests on threads that can switch in between,
    # so one request at a time. moto's DynamoDB answers from memory, so the
    # lock is held for microseconds, never across a wait.
    one_at_a_time = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self):
        with one_at_a_time:
            return original(self)

    DynamoHandler.call_action = call_action


@rules(
    ("dynamodb-ttl-hourly", 'One UpdateTimeToLive per table per hour (ValidationException), with ENABLING/DISABLING while a change is processing.'),
)
def _dynamodb() -> None:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend

    original_update = DynamoDBBackend.update_time_to_live
    original_describe = DynamoDBBackend.describe_time_to_live

    def update_time_to_live(self, table_name, ttl_spec):
        # UpdateTimeToLive API reference: "It can take up to one hour for the
        # change to fully process. Any additional UpdateTimeToLive calls for
        # the same table during this one hour duration result in a
        # ValidationException."
        with LOCK:
            last = TTL_UPDATES.get(table_name)
            if last is not None and time.monotonic() - last < TTL_WINDOW_SECONDS:
                raise MockValidationException(
                    "Time to live has been modified multiple times within a fixed interval"
                )
            original_update(self, table_name, ttl_spec)
            TTL_UPDATES[table_name] = time.monotonic()

    def describe_time_to_live(self, table_name):
        description = dict(original_describe(self, table_name))
        with LOCK:
            last = TTL_UPDATES.get(table_name)
            settle = TTL_SETTLE.get(table_name, 0)
        # DescribeTimeToLive: ENABLING/DISABLING while the change processes.
        if last is not None and time.monotonic() - last < settle:
            status = description.get("TimeToLiveStatus")
            description["TimeToLiveStatus"] = {"ENABLED": "ENABLING", "DISABLED": "DISABLING"}.get(status, status)
        return description

    DynamoDBBackend.update_time_to_live = update_time_to_live
    DynamoDBBackend.describe_time_to_live = describe_time_to_live


def _check_environment(config) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException

    variables = (config.get("Environment") or {}).get("Variables")
    if not variables:
        return
    # Lambda API reference, Environment: key pattern [a-zA-Z]([a-zA-Z0-9_])+.
    for key in variables:
        if not ENV_KEY.match(key):
            raise InvalidParameterValueException(
                f"1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
                f"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+] ({key})"
            )
    # Lambda quotas: 4 KB for all environment variables of a function
    # (Lambda reports the measured string as JSON).
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > ENV_MAX_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables "
            f"you have provided exceeded the 4KB limit. String measured: {len(measured.encode())} bytes"
        )


@rules(
    ("lambda-environment", 'Environment keys match [a-zA-Z][a-zA-Z0-9_]+ and all variables together fit in 4 KB.'),
    ("lambda-policy-conditions", "AddPermission's FunctionUrlAuthType and InvokedViaFunctionUrl become the Condition entries real Lambda writes into the policy."),
)
def _lambda() -> None:
    from moto.awslambda import models
    from moto.awslambda.policy import Policy

    original_create = models.LambdaBackend.create_function
    original_update = models.LambdaBackend.update_function_configuration

    def create_function(self, spec):
        _check_environment(spec)
        return original_create(self, spec)

    def update_function_configuration(self, function_name, qualifier, body):
        _check_environment(body)
        return original_update(self, function_name, qualifier, body)

    models.LambdaBackend.create_function = create_function
    models.LambdaBackend.update_function_configuration = update_function_configuration

    original_decode = Policy.decode_policy

    def decode_policy(self, obj):
        # Lambda developer guide, "Control access to Lambda function URLs":
        # the statements AddPermission writes carry these as conditions.
        url_auth = obj.pop("FunctionUrlAuthType", None)
        via_url = obj.pop("InvokedViaFunctionUrl", None)
        policy = original_decode(self, obj)
        statement = policy.statements[0]
        if url_auth is not None:
            statement.setdefault("Condition", {}).setdefault("StringEquals", {})[
                "lambda:FunctionUrlAuthType"
            ] = url_auth
        if via_url is not None:
            statement.setdefault("Condition", {}).setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = (
                "true" if via_url in (True, "true", "True") else "false"
            )
        return policy

    Policy.decode_policy = decode_policy


@rules(
    ("lambda-concurrency", "The account's concurrency is 1,000 and a reservation must leave at least 100 unreserved (InvalidParameterValueException); GetAccountSettings (missing in moto) answers with the account's limits; a reservation of 0 reads back in GetFunction."),
)
def _lambda_concurrency() -> None:
    import os

    from moto.awslambda import models, urls
    from moto.awslambda.responses import LambdaResponse

    # moto enforces the account's concurrency only with this variable set.
    os.environ.setdefault("MOTO_LAMBDA_CONCURRENCY_QUOTA", str(ACCOUNT_CONCURRENCY))

    # GetAccountSettings, which moto lacks (Lambda API reference,
    # GetAccountSettings response elements).
    def get_account_settings(self):
        functions = list(self.backend.list_functions())
        reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
        return json.dumps({
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved,
            },
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
        })

    LambdaResponse.get_account_settings = get_account_settings
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch

    # GetFunction: moto leaves out Concurrency when the reservation is 0
    # (a function that is not allowed to run); Lambda returns it.
    original_get_code = models.LambdaFunction.get_code

    def get_code(self):
        code = original_get_code(self)
        if self.reserved_concurrency is not None and "Concurrency" not in code:
            code["Concurrency"] = {"ReservedConcurrentExecutions": int(self.reserved_concurrency)}
        return code

    models.LambdaFunction.get_code = get_code


@rules(
    ("sesv2-identity-and-account", 'VerifiedForSendingStatus follows verification; GetAccount (missing in moto) answers as a production account in good standing.'),
)
def _sesv2() -> None:
    from moto.ses.models import EmailIdentity
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    # GetEmailIdentity: VerifiedForSendingStatus is true once the identity is
    # verified (moto leaves it false while VerificationStatus says SUCCESS).
    original_init = EmailIdentity.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.verified_for_sending_status = self.verification_status == "SUCCESS"

    EmailIdentity.__init__ = init

    # GetAccount, which moto lacks.
    def get_account(self):
        return json.dumps(SES_ACCOUNT)

    SESV2Response.get_account = get_account
    urls.url_paths["{0}/v2/email/account$"] = SESV2Response.dispatch


# SES quotas (SES developer guide, "Service quotas in Amazon SES",
# configuration set quotas): 10 event destinations per configuration set,
# 10 dimensions per CloudWatch event destination.
SES_MAX_EVENT_DESTINATIONS = 10
SES_MAX_DIMENSIONS = 10
# SESv2 API reference: EventType, DimensionValueSource, and the destinations
# an EventDestinationDefinition may name ("one, and only one").
SES_EVENT_TYPES = {"SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK",
                   "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"}
SES_DIMENSION_SOURCES = {"MESSAGE_TAG", "EMAIL_HEADER", "LINK_TAG"}
SES_DESTINATION_KINDS = ("CloudWatchDestination", "SnsDestination", "KinesisFirehoseDestination",
                         "EventBridgeDestination", "PinpointDestination")
# Event destination names (SES API reference, EventDestination.Name) and
# CloudWatch dimension names: ASCII letters, digits, '_' and '-', at most 64
# and 255 characters; default dimension values may also hold '@' and '.'.
SES_EVENT_DESTINATION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SES_DIMENSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
SES_DIMENSION_DEFAULT = re.compile(r"^[A-Za-z0-9_@.-]{1,255}$")


@rules(
    ("sesv2-event-destinations", "Configuration set event destinations (Create, Get, Update, Delete), which moto's SESv2 lacks: names unique in the set (AlreadyExistsException), at most 10 per set (LimitExceededException), exactly one destination and valid event types and CloudWatch dimensions (BadRequestException), a missing set or name is NotFoundException."),
)
def _sesv2_event_destinations() -> None:
    """Configuration set event destinations as the SESv2 API reference
    describes them (CreateConfigurationSetEventDestination,
    GetConfigurationSetEventDestinations, UpdateConfigurationSetEventDestination,
    DeleteConfigurationSetEventDestination). moto's SESv2 has none of them
    (its SES v1 version keeps one destination per set), so a request would
    end in HTTP 500."""
    from moto.core.exceptions import JsonRESTError
    from moto.ses.exceptions import NotFoundException
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    def bad_request(message):
        return JsonRESTError("BadRequestException", message)

    def store(self):
        backend = self.sesv2_backend
        if not hasattr(backend, "_bosun_event_destinations"):
            backend._bosun_event_destinations = {}
        return backend._bosun_event_destinations

    def destinations_of(self):
        """The set's destinations (name -> EventDestination), in creation order."""
        set_name = self._get_param("ConfigurationSetName")
        if set_name not in self.sesv2_backend.core_backend.config_sets:
            raise NotFoundException(f"Configuration set <{set_name}> does not exist.")
        return store(self).setdefault(set_name, {})

    def validated(name, definition):
        if not isinstance(name, str) or not SES_EVENT_DESTINATION_NAME.match(name):
            raise bad_request(f"Invalid event destination name <{name}>.")
        if not isinstance(definition, dict):
            raise bad_request("EventDestination is required.")
        kinds = [k for k in SES_DESTINATION_KINDS if definition.get(k) is not None]
        if len(kinds) != 1:
            raise bad_request("You must provide one, and only one, destination.")
        types = definition.get("MatchingEventTypes") or []
        if not types:
            raise bad_request("MatchingEventTypes must name at least one event type.")
        for t in types:
            if t not in SES_EVENT_TYPES:
                raise bad_request(f"Invalid event type <{t}>.")
        target = definition[kinds[0]]
        if kinds[0] == "CloudWatchDestination":
            dims = target.get("DimensionConfigurations")
            if not dims:
                raise bad_request("DimensionConfigurations is required.")
            if len(dims) > SES_MAX_DIMENSIONS:
                raise bad_request(f"A CloudWatch destination has at most {SES_MAX_DIMENSIONS} dimensions.")
            for d in dims:
                if not SES_DIMENSION_NAME.match(str(d.get("DimensionName", ""))):
                    raise bad_request(f"Invalid dimension name <{d.get('DimensionName')}>.")
                if d.get("DimensionValueSource") not in SES_DIMENSION_SOURCES:
                    raise bad_request(f"Invalid dimension value source <{d.get('DimensionValueSource')}>.")
                if not SES_DIMENSION_DEFAULT.match(str(d.get("DefaultDimensionValue", ""))):
                    raise bad_request(f"Invalid default dimension value <{d.get('DefaultDimensionValue')}>.")
        elif kinds[0] == "SnsDestination" and not target.get("TopicArn"):
            raise bad_request("SnsDestination requires TopicArn.")
        out = {"Name": name, "Enabled": bool(definition.get("Enabled", False)), "MatchingEventTypes": list(types)}
        out[kinds[0]] = target
        return out

    def create(self):
        dests = destinations_of(self)
        name = self._get_param("EventDestinationName")
        entry = validated(name, self._get_param("EventDestination"))
        if name in dests:
            raise JsonRESTError("AlreadyExistsException", f"Event destination <{name}> already exists.")
        if len(dests) >= SES_MAX_EVENT_DESTINATIONS:
            raise JsonRESTError(
                "LimitExceededException",
                f"A configuration set can have at most {SES_MAX_EVENT_DESTINATIONS} event destinations.",
            )
        dests[name] = entry
        return "{}"

    def get(self):
        return json.dumps({"EventDestinations": list(destinations_of(self).values())})

    def named(self, dests):
        name = self._get_param("EventDestinationName")
        if name not in dests:
            raise NotFoundException(f"Event destination <{name}> does not exist.")
        return name

    def update(self):
        dests = destinations_of(self)
        name = named(self, dests)
        dests[name] = validated(name, self._get_param("EventDestination"))
        return "{}"

    def delete(self):
        dests = destinations_of(self)
        del dests[named(self, dests)]
        return "{}"

    # A deleted set takes its destinations with it (a new set of the same
    # name starts empty).
    original_delete_set = SESV2Response.delete_configuration_set

    def delete_configuration_set(self):
        result = original_delete_set(self)
        store(self).pop(self._get_param("ConfigurationSetName"), None)
        return result

    SESV2Response.create_configuration_set_event_destination = create
    SESV2Response.get_configuration_set_event_destinations = get
    SESV2Response.update_configuration_set_event_destination = update
    SESV2Response.delete_configuration_set_event_destination = delete
    SESV2Response.delete_configuration_set = delete_configuration_set
    base = "{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/event-destinations"
    urls.url_paths[base + "$"] = SESV2Response.dispatch
    urls.url_paths[base + "/(?P<EventDestinationName>[^/]+)$"] = SESV2Response.dispatch


@rules(
    ("s3-versioning-document", "GetBucketVersioning answers AWS's <VersioningConfiguration>."),
)
def _s3_versioning_document() -> None:
    from moto.s3.responses import S3Response

    # GetBucketVersioning API reference: the answer is a
    # <VersioningConfiguration> document (Status absent on a bucket never
    # versioned). moto names the root GetBucketVersioningResponse, which a
    # strict client (the Rust SDK) rejects.
    def get_bucket_versioning(self):
        status = self.backend.get_bucket_versioning(self.bucket_name)
        body = '<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        if status:
            body += f"<Status>{status}</Status>"
        body += "</VersioningConfiguration>"
        return 200, {"Content-Type": "application/xml"}, body

    S3Response.get_bucket_versioning = get_bucket_versioning


@rules(
    ("s3-versioning-settles", 'After a bucket\'s first PutBucketVersioning (Enabled), object writes may still land unversioned (version "null", no x-amz-version-id) for a while: S3 says up to 15 minutes. The window is 0 s unless set per bucket ({"versioning_settle_seconds": N, "bucket": B}).'),
)
def _s3_versioning_settles() -> None:
    # S3 user guide, "Enabling versioning on buckets": after versioning is
    # first enabled it may take up to 15 minutes to propagate; "write
    # operations issued before this conversion is complete may apply to
    # unversioned objects".
    from moto.s3.models import FakeBucket, S3Backend

    original_versioning = S3Backend.put_bucket_versioning

    def put_bucket_versioning(self, bucket_name, status):
        first = status == "Enabled" and self.get_bucket(bucket_name).versioning_status is None
        original_versioning(self, bucket_name, status)
        if first:
            with LOCK:
                FIRST_VERSIONING.setdefault(bucket_name, time.monotonic())

    original_put = S3Backend.put_object

    def put_object(self, bucket_name, *args, **kwargs):
        with LOCK:
            first = FIRST_VERSIONING.get(bucket_name)
            settle = VERSIONING_SETTLE.get(bucket_name, 0.0)
        if first is None or time.monotonic() >= first + settle:
            return original_put(self, bucket_name, *args, **kwargs)
        S3_WRITE.unversioned = bucket_name
        try:
            return original_put(self, bucket_name, *args, **kwargs)
        finally:
            S3_WRITE.unversioned = None

    versioned = FakeBucket.is_versioned

    def is_versioned(self):
        if getattr(S3_WRITE, "unversioned", None) == self.name:
            return False
        return versioned.fget(self)

    S3Backend.put_bucket_versioning = put_bucket_versioning
    S3Backend.put_object = put_object
    FakeBucket.is_versioned = property(is_versioned)


@rules(
    ("s3-policy-principals", "A bucket policy statement applies only to the principals it names: one for a service (CloudFront) does not refuse the account's own users."),
)
def _s3_policy_principals() -> None:
    # A bucket policy's statement applies only to the principals it names
    # (IAM user guide, "AWS JSON policy elements: Principal"); moto applies
    # every statement to every caller, so a Deny meant for CloudFront (the
    # service principal cloudfront.amazonaws.com) would refuse the account's
    # own users. Callers of the emulator are the account's users and roles,
    # never a service: statements naming only services are left out.
    from moto.s3 import models as s3_models
    from moto.iam.access_control import IAMPolicy, PermissionResult

    def applies_to_users(statement) -> bool:
        principal = statement.get("Principal", "*")
        if principal == "*" or "NotPrincipal" in statement:
            return True
        return isinstance(principal, dict) and "AWS" in principal

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        listed = policy.get("Statement")
        listed = listed if isinstance(listed, list) else [listed]
        policy["Statement"] = [st for st in listed if isinstance(st, dict) and applies_to_users(st)]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    s3_models.FakeBucket.get_permission = get_permission


@rules(
    ("s3-expected-bucket-owner", "A request whose x-amz-expected-bucket-owner (or, on a copy, x-amz-source-expected-bucket-owner) is not the bucket's account is refused 403 AccessDenied."),
)
def _s3_expected_bucket_owner() -> None:
    from moto.s3.responses import S3Response

    # ExpectedBucketOwner (every bucket and object operation's request
    # parameters, e.g. PutObject: "If the account ID that you provide does
    # not match the actual owner of the bucket, the request fails with the
    # HTTP status code 403 Forbidden (access denied)"); the source bucket's
    # on a copy. moto ignores both headers, and serves another account's
    # bucket to any caller.
    from moto.s3.exceptions import S3AccessDeniedError
    from moto.s3.models import s3_backends

    def owner_checked(original):
        def handler(self, request, full_url):
            bucket = self.parse_bucket_name_from_url(request, full_url)
            owner = s3_backends.bucket_accounts.get(bucket or "", (None, None))[1]
            copy_source = request.headers.get("x-amz-copy-source", "")
            source = urllib.parse.unquote(copy_source).lstrip("/").split("/", 1)[0]
            source_owner = s3_backends.bucket_accounts.get(source, (None, None))[1]
            for header, actual in (("x-amz-expected-bucket-owner", owner),
                                   ("x-amz-source-expected-bucket-owner", source_owner)):
                expected = request.headers.get(header)
                if expected and actual and expected != actual:
                    return self.serialized(ActionResult(S3AccessDeniedError()))
            return original(self, request, full_url)
        return handler

    from moto.core.responses import ActionResult

    S3Response._bucket_response = owner_checked(S3Response._bucket_response)
    S3Response._key_response = owner_checked(S3Response._key_response)


@rules(
    ("iam-resources", "Under IAM enforcement, DynamoDB, IAM, EventBridge and SSM requests are authorized on their resource's ARN (moto checks them against `*`), and S3 requests need the IAM action AWS names (HeadBucket is s3:ListBucket)."),
)
def _iam_resources() -> None:
    """Under IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT), moto checks most
    services' actions against the resource `*` only, so a policy scoped to
    exact ARNs (what `bosun policy` prints) is denied everything. Name the
    resource each request acts on, as AWS's authorization does (the service
    authorization reference's resource types): DynamoDB tables, IAM roles,
    EventBridge rules, SSM parameters."""
    # The IAM action each S3 request needs (service authorization reference):
    # HeadBucket is s3:ListBucket, and PutPublicAccessBlock on a bucket is
    # s3:PutBucketPublicAccessBlock (moto names actions that IAM does not have).
    from moto.s3 import responses

    responses.ACTION_MAP["BUCKET"]["HEAD"]["DEFAULT"] = "ListBucket"
    responses.ACTION_MAP["BUCKET"]["PUT"]["public_access_block"] = "PutBucketPublicAccessBlock"

    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.iam.responses import IamResponse
    from moto.ssm.responses import SimpleSystemManagerResponse

    def dynamodb(self):
        name = (self.body or {}).get("TableName")
        return f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{name}" if name else "*"

    def iam(self):
        name = self._get_param("RoleName")
        return f"arn:aws:iam::{self.current_account}:role/{name}" if name else "*"

    def events(self):
        if self._get_param("ResourceARN"):
            return self._get_param("ResourceARN")
        name = self._get_param("Rule") or (self._get_param("Name") if self._get_action() != "ListRules" else None)
        return f"arn:aws:events:{self.region}:{self.current_account}:rule/{name}" if name else "*"

    def ssm(self):
        name = self._get_param("Name")
        return f"arn:aws:ssm:{self.region}:{self.current_account}:parameter{name}" if name else "*"

    def iam_resource(self):
        if self._get_param("PolicyArn"):
            return self._get_param("PolicyArn")
        if self._get_action() == "CreatePolicy":
            return f"arn:aws:iam::{self.current_account}:policy/{self._get_param('PolicyName')}"
        return iam(self)

    DynamoHandler._determine_resource = dynamodb
    IamResponse._determine_resource = iam_resource
    EventsHandler._determine_resource = events
    SimpleSystemManagerResponse._determine_resource = ssm


@rules(
    ("iam-condition-keys", "Under IAM enforcement, identity policies are evaluated with the request's context keys (moto passes none): iam:PermissionsBoundary on CreateRole, PutRolePermissionsBoundary and PutRolePolicy; and conditions as IAM evaluates them: a missing key fails (but for ...IfExists), String/Arn Equals/Like, Not, Bool, ForAllValues/ForAnyValue; a statement whose condition fails does not apply (moto denies)."),
)
def _iam_conditions() -> None:
    """Under enforcement moto evaluates identity policies with no request
    context, so a statement with a Condition never matches. Give requests
    the context keys bosun's policies condition on, as IAM sets them
    (service authorization reference, IAM's condition keys):
    iam:PermissionsBoundary is the boundary a CreateRole or
    PutRolePermissionsBoundary request sets, and for PutRolePolicy the
    boundary the role already has. A key a request does not carry stays
    absent, and a condition on it fails, as on AWS."""
    from moto.iam import access_control
    from moto.iam.access_control import IAMPolicy, PermissionResult

    def context(self) -> dict:
        values = {}
        data = self._data or {}

        def param(name):
            v = data.get(name)
            return v[0] if isinstance(v, list) else v

        action = self._action.split(":", 1)[-1]
        if action in ("CreateRole", "PutRolePermissionsBoundary") and param("PermissionsBoundary"):
            values["iam:PermissionsBoundary"] = param("PermissionsBoundary")
        if action == "PutRolePolicy" and param("RoleName"):
            try:
                role = self.backend.get_role(param("RoleName"))
                if role.permissions_boundary_arn:
                    values["iam:PermissionsBoundary"] = role.permissions_boundary_arn
            except Exception:  # no such role: IAM answers that itself
                pass
        return values

    def check_action_permitted(self, resource: str) -> None:
        if self._action == "sts:GetCallerIdentity":
            return
        # What the request needs: its own action on its resource, plus, for
        # the services _iam_services describes, what AWS also authorizes
        # (iam:PassRole on a function's role, TagResource on a creation
        # with tags) and the service's own context keys.
        response = getattr(CURRENT, "response", None)
        describe = getattr(response, "_bosun_authorization", None)
        checks = describe(self._action, resource) if describe else [(self._action, resource, {})]
        def permits(action, target, extra) -> bool:
            incoming = {**context(self), **extra}
            permitted = False
            for policy in self._access_key.collect_policies():
                result = IAMPolicy(policy).is_action_permitted(action, target, None, incoming)
                if result == PermissionResult.DENIED:
                    self._raise_access_denied()
                elif result == PermissionResult.PERMITTED:
                    permitted = True
            if action == self._action and self._is_assuming_role_operation(target):
                permitted = permitted and self._check_role_trust_relationship(target)
            return permitted

        # Each check must hold; a list is alternatives, one of which must.
        for check in checks:
            alternatives = check if isinstance(check, list) else [check]
            if not any(permits(*alt) for alt in alternatives):
                self._raise_access_denied()

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted

    # Condition blocks as IAM evaluates them (IAM user guide, "IAM JSON
    # policy elements: Condition operators" and "Single-valued vs.
    # multivalued context keys"): every key of every operator must hold; a
    # key the request does not carry fails the condition, except under
    # ...IfExists (and ForAllValues, which holds for an empty set). moto
    # lets a missing key pass and knows StringEquals only.
    import fnmatch

    def compare(base: str, expected: str, actual: str) -> bool:
        if base in ("StringEquals", "ArnEquals"):
            return actual == expected
        if base == "StringEqualsIgnoreCase":
            return actual.lower() == expected.lower()
        if base in ("StringLike", "ArnLike"):
            return fnmatch.fnmatchcase(actual, expected)
        if base == "Bool":
            return str(actual).lower() == str(expected).lower()
        return False  # an operator this layer does not know never matches

    def check_conditions(self, incoming) -> bool:
        conditions = self._statement.get("Condition")
        if not conditions:
            return True
        context = {k.lower(): v for k, v in (incoming or {}).items()}
        for operator, block in conditions.items():
            base = operator
            if_exists = base.endswith("IfExists")
            if if_exists:
                base = base[: -len("IfExists")]
            qualifier = None
            if ":" in base:
                qualifier, base = base.split(":", 1)
            negated = base.startswith(("StringNot", "ArnNot"))
            if negated:
                base = base.replace("Not", "", 1)
            for key, expected in block.items():
                expected = expected if isinstance(expected, list) else [expected]
                actual = context.get(key.lower())
                if actual is None:
                    if if_exists or qualifier == "ForAllValues" or negated:
                        continue
                    return False
                actuals = actual if isinstance(actual, list) else [actual]

                def matches(a):
                    return any(compare(base, str(e), str(a)) for e in expected)

                if qualifier == "ForAllValues":
                    ok = all(matches(a) for a in actuals)
                elif qualifier == "ForAnyValue":
                    ok = any(matches(a) for a in actuals)
                else:
                    ok = matches(actuals[0])
                if ok == negated:
                    return False
        return True

    access_control.IAMPolicyStatement._check_conditions = check_conditions

    # A statement whose condition does not hold does not apply to the
    # request (IAM user guide, "Policy evaluation logic"): for an Allow,
    # that is no allow, not a deny. moto answers DENIED, so one statement
    # conditioned on another principal refuses what the next one allows.
    original_statement = access_control.IAMPolicyStatement.is_action_permitted

    def statement_permits(self, action, resource="*", principal=None, incoming_condition_values=None):
        if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
            return PermissionResult.NEUTRAL
        return original_statement(self, action, resource, principal, incoming_condition_values)

    access_control.IAMPolicyStatement.is_action_permitted = statement_permits


@rules(
    ("iam-all-services", "Under IAM enforcement, CloudFront, Lambda and SESv2 requests are authorized too (moto fails their signatures): on their resource's ARN, with aws:ResourceTag (distributions), aws:RequestTag and aws:TagKeys (tagging, creation with tags), lambda:Principal and lambda:FunctionUrlAuthType; CreateDistributionWithTags also needs cloudfront:TagResource, and a function's role iam:PassRole (iam:PassedToService). PutTargets carries events:TargetArn."),
)
def _iam_services() -> None:
    """moto cannot enforce IAM for CloudFront, Lambda or SESv2: it hashes
    the parameters it parsed from a REST request as the signed payload, so
    every signature fails. Check the signature over the body the client
    sent (form-encoded requests keep moto's way), then authorize each
    request as the service authorization reference describes it: on the
    resource it acts on, with the service's condition keys, and with the
    further actions AWS authorizes for it."""
    from botocore.awsrequest import AWSRequest
    from moto.awslambda.responses import LambdaResponse
    from moto.cloudfront.models import cloudfront_backends
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam import access_control
    from moto.sesv2.responses import SESV2Response

    def header(headers, name):
        return next((v for k, v in headers.items() if k.lower() == name.lower()), "")

    def create_aws_request(self):
        signed = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
        headers = self._create_headers_for_aws_request(signed, self._headers)
        form = "x-www-form-urlencoded" in header(self._headers, "Content-Type")
        request = AWSRequest(method=self._method, url=self._path,
                             data=self._body or (self._data if form else b""), headers=headers)
        request.context["timestamp"] = headers["X-Amz-Date"]
        return request

    access_control.IAMRequest._create_aws_request = create_aws_request

    # A refusal in the service's own error shape (its protocol), as AWS
    # answers: moto answers every service in one XML shape, which JSON
    # clients cannot read (they saw only "HTTP 403").
    from werkzeug.exceptions import HTTPException

    json_services = {"lambda", "dynamodb", "events", "ssm", "ses", "acm", "logs"}

    class Denied(HTTPException):
        code = 403

    def raise_access_denied(self):
        message = f"User: {self._access_key.arn} is not authorized to perform: {self._action}"
        if self._service in json_services:
            raise Denied(description=json.dumps({"__type": "AccessDeniedException", "message": message}))
        raise Denied(description=(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{message}</Message></Error><RequestId>denied</RequestId></ErrorResponse>"))

    access_control.IAMRequest._raise_access_denied = raise_access_denied

    # A form-encoded body (the query protocol: IAM, STS) is parsed away
    # before moto reads it, and moto re-encodes the parameters its own way
    # (spaces as "+"; the Rust SDK sends "%20"): keep the bytes the client
    # signed, and authorize with them.
    from moto.core.responses import BaseResponse

    original_setup = BaseResponse.setup_class

    def setup_class(self, request, *args, **kwargs):
        try:
            self._bosun_sent = request.get_data(cache=True, parse_form_data=False)
        except Exception:  # a request without a readable body
            self._bosun_sent = None
        return original_setup(self, request, *args, **kwargs)

    BaseResponse.setup_class = setup_class

    original = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

    def authorize(self, resource="*"):
        CURRENT.response = self
        kept = self.raw_body
        sent = getattr(self, "_bosun_sent", None)
        if sent and not kept:
            self.raw_body = sent
        try:
            return original(self, resource)
        finally:
            self.raw_body = kept
            CURRENT.response = None

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize

    def query(self, name):
        v = self.querystring.get(name)
        return v[0] if isinstance(v, list) else v

    def json_body(self):
        try:
            return json.loads(self.body or "{}")
        except ValueError:
            return {}

    # Lambda: a function's ARN, qualified when the request names a version
    # or alias; lambda:Principal and lambda:FunctionUrlAuthType (Lambda's
    # condition keys); iam:PassRole on the execution role a request sets,
    # with iam:PassedToService (Lambda developer guide, "Execution role").
    def lambda_resource(self):
        path = urllib.parse.unquote(self.path)
        if "/tags/" in path:
            return path.split("/tags/", 1)[1]
        m = re.match(r"^/[0-9-]+/functions/([^/]+)", path)
        name = m.group(1) if m else json_body(self).get("FunctionName")  # CreateFunction
        if not name:
            return "*"
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{self.region}:{self.current_account}:function:{name}"
        qualifier = query(self, "Qualifier")
        return f"{arn}:{qualifier}" if qualifier else arn

    def lambda_authorization(self, action, resource):
        body = json_body(self)
        keys = {}
        if action == "lambda:AddPermission":
            keys["lambda:Principal"] = body.get("Principal")
            keys["lambda:FunctionUrlAuthType"] = body.get("FunctionUrlAuthType")
        if action in ("lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"):
            keys["lambda:FunctionUrlAuthType"] = body.get("AuthType")
        checks = [(action, resource, {k: v for k, v in keys.items() if v})]
        if action in ("lambda:CreateFunction", "lambda:UpdateFunctionConfiguration") and body.get("Role"):
            checks.append(("iam:PassRole", body["Role"], {"iam:PassedToService": "lambda.amazonaws.com"}))
        return checks

    LambdaResponse._determine_resource = lambda_resource
    LambdaResponse._bosun_authorization = lambda_authorization

    # CloudFront: distributions, functions and policies by ARN (the global
    # partition's ARNs have no region); aws:ResourceTag on a distribution,
    # aws:RequestTag and aws:TagKeys on a creation with tags or a tagging,
    # which needs cloudfront:TagResource too (CreateDistributionWithTags
    # API reference, required IAM permissions).
    kinds = {"distribution": "distribution", "function": "function",
             "response-headers-policy": "response-headers-policy",
             "origin-request-policy": "origin-request-policy",
             "origin-access-control": "origin-access-control"}

    def cloudfront_resource(self):
        path = urllib.parse.unquote(self.path)
        if path.endswith("/tagging"):
            return query(self, "Resource") or "*"
        m = re.match(r"^/[0-9-]+/([a-z-]+)/([^/]+)", path)
        if not m or m.group(1) not in kinds:
            return "*"
        return f"arn:aws:cloudfront::{self.current_account}:{kinds[m.group(1)]}/{m.group(2)}"

    def cloudfront_tags(self, resource):
        if ":distribution/" not in resource:
            return {}
        backend = cloudfront_backends[self.current_account]["aws"]
        tags = backend.list_tags_for_resource(resource).get("Tags", [])
        return {f"aws:ResourceTag/{t['Key']}": t.get("Value", "") for t in tags}

    def cloudfront_authorization(self, action, resource):
        keys = cloudfront_tags(self, resource)
        requested = []
        if action == "cloudfront:CreateDistributionWithTags":
            requested = self._get_param("DistributionConfigWithTags.Tags.Items", []) or []
        elif action == "cloudfront:TagResource":
            requested = self._get_param("Tags.Items", []) or []
        if requested:
            keys["aws:TagKeys"] = [t["Key"] for t in requested]
            keys.update({f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in requested})
        if action == "cloudfront:CreateDistributionWithTags":
            # Both on "*": the distribution does not exist yet (CloudFront
            # developer guide, API permissions reference: "Required
            # Permissions: cloudfront:CreateDistribution,
            # cloudfront:TagResource ... Resources: *").
            return [("cloudfront:CreateDistribution", resource, keys), ("cloudfront:TagResource", resource, keys)]
        return [(action, resource, keys)]

    CloudFrontResponse._determine_resource = cloudfront_resource
    CloudFrontResponse._bosun_authorization = cloudfront_authorization

    # SESv2: identities and configuration sets by ARN; SendEmail on the
    # identity of the From address.
    def ses_resource(self):
        path = urllib.parse.unquote(self.path)
        base = f"arn:aws:ses:{self.region}:{self.current_account}"
        m = re.match(r"^/v2/email/(identities|configuration-sets)/([^/]+)", path)
        if m:
            kind = "identity" if m.group(1) == "identities" else "configuration-set"
            return f"{base}:{kind}/{m.group(2)}"
        # Creations name what they create in the body.
        if path.rstrip("/") == "/v2/email/identities" and self.method == "POST":
            return f"{base}:identity/{json_body(self).get('EmailIdentity', '')}"
        if path.rstrip("/") == "/v2/email/configuration-sets" and self.method == "POST":
            return f"{base}:configuration-set/{json_body(self).get('ConfigurationSetName', '')}"
        if path.rstrip("/") == "/v2/email/outbound-emails":
            sender = json_body(self).get("FromEmailAddress", "")
            sender = sender.rsplit("<", 1)[-1].rstrip(">").strip()
            return f"{base}:identity/{sender}" if sender else "*"
        return "*"

    SESV2Response._determine_resource = ses_resource

    # SendEmail is authorized on the identity that sends (the From address,
    # or its domain when that is the verified identity) and on the
    # configuration set it names (SES developer guide, "Controlling access
    # to Amazon SES": sending authorization applies to identities and
    # configuration sets).
    def ses_authorization(self, action, resource):
        if action != "ses:SendEmail":
            return [(action, resource, {})]
        body = json_body(self)
        base = f"arn:aws:ses:{self.region}:{self.current_account}"
        sender = body.get("FromEmailAddress", "").rsplit("<", 1)[-1].rstrip(">").strip()
        identities = [(action, f"{base}:identity/{sender}", {})]
        if "@" in sender:
            identities.append((action, f"{base}:identity/{sender.rsplit('@', 1)[1]}", {}))
        checks = [identities]
        if body.get("ConfigurationSetName"):
            checks.append((action, f"{base}:configuration-set/{body['ConfigurationSetName']}", {}))
        return checks

    SESV2Response._bosun_authorization = ses_authorization

    # EventBridge: PutTargets carries events:TargetArn, every target's ARN
    # (a multivalued key; EventBridge's condition keys).
    from moto.events.responses import EventsHandler

    def events_authorization(self, action, resource):
        if action != "events:PutTargets":
            return [(action, resource, {})]
        targets = [t.get("Arn") for t in json_body(self).get("Targets", []) if t.get("Arn")]
        return [(action, resource, {"events:TargetArn": targets})]

    EventsHandler._bosun_authorization = events_authorization


@rules(
    ("iam-policy-size", "IAM's size quotas, in characters outside whitespace: a user's inline policies 2,048 together, a group's 5,120, a role's 10,240; a managed policy (and each version) 6,144; a role's trust policy 2,048 (LimitExceeded). moto enforces none."),
)
def _iam_policy_sizes() -> None:
    """IAM and STS quotas ("IAM object quotas"): inline policies of a user
    2,048 characters together, of a group 5,120, of a role 10,240; a managed
    policy 6,144; a role trust policy 2,048 (the default). IAM counts
    characters outside whitespace. moto reports these quotas in
    GetAccountSummary and enforces none, so a policy too big for AWS was
    accepted."""
    from moto.iam.exceptions import LimitExceededException
    from moto.iam.models import IAMBackend

    def size(document) -> int:
        return sum(1 for c in str(document) if not c.isspace())

    def inline(kind, quota, owner_of, original):
        def put(self, name, policy_name, policy_json):
            owner = owner_of(self, name)
            total = size(policy_json) + sum(size(d) for n, d in owner.policies.items() if n != policy_name)
            if total > quota:
                raise LimitExceededException(f"Maximum policy size of {quota} bytes exceeded for {kind} {name}")
            return original(self, name, policy_name, policy_json)
        return put

    IAMBackend.put_user_policy = inline("user", 2048, IAMBackend.get_user, IAMBackend.put_user_policy)
    IAMBackend.put_group_policy = inline("group", 5120, IAMBackend.get_group, IAMBackend.put_group_policy)
    IAMBackend.put_role_policy = inline("role", 10240, IAMBackend.get_role, IAMBackend.put_role_policy)

    def managed(original, document_at):
        def create(self, *args, **kwargs):
            document = kwargs.get("policy_document", args[document_at] if len(args) > document_at else "")
            if size(document) > 6144:
                raise LimitExceededException("Cannot exceed quota for PolicySize: 6144")
            return original(self, *args, **kwargs)
        return create

    # create_policy(description, path, policy_document, ...);
    # create_policy_version(policy_arn, policy_document, set_as_default)
    IAMBackend.create_policy = managed(IAMBackend.create_policy, 2)
    IAMBackend.create_policy_version = managed(IAMBackend.create_policy_version, 1)

    def trusted(original, document_at):
        def create(self, *args, **kwargs):
            document = kwargs.get(
                "assume_role_policy_document" if document_at == 1 else "policy_document",
                args[document_at] if len(args) > document_at else "",
            )
            if size(document) > 2048:
                raise LimitExceededException("Cannot exceed quota for ACLSizePerRole: 2048")
            return original(self, *args, **kwargs)
        return create

    # create_role(role_name, assume_role_policy_document, ...);
    # update_assume_role_policy(role_name, policy_document)
    IAMBackend.create_role = trusted(IAMBackend.create_role, 1)
    IAMBackend.update_assume_role_policy = trusted(IAMBackend.update_assume_role_policy, 1)


def _control() -> None:
    from moto.moto_api._internal import urls
    from moto.moto_api._internal.responses import MotoAPIResponse

    def bosun_rules(self, request, full_url, headers):
        if request.method == "GET":
            return 200, {"Content-Type": "application/json"}, json.dumps({"rules": list(RULES), "descriptions": RULES})
        body = self._get_body(headers, request)
        with LOCK:
            if "ttl_window_over" in body:
                TTL_UPDATES.pop(body["ttl_window_over"], None)
            if "ttl_settle_seconds" in body:
                TTL_SETTLE[body["table"]] = float(body["ttl_settle_seconds"])
            if "deploy_seconds" in body:
                DEPLOY_SECONDS[body["distribution"]] = float(body["deploy_seconds"])
            if "update_latency_seconds" in body:
                UPDATE_LATENCY[body["distribution"]] = float(body["update_latency_seconds"])
            if "issue_certificate" in body:
                from moto.acm.models import acm_backends
                from moto.core import DEFAULT_ACCOUNT_ID

                arn = body["issue_certificate"]
                acm_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]._certificates[arn].status = "ISSUED"
            if "versioning_settle_seconds" in body:
                VERSIONING_SETTLE[body["bucket"]] = float(body["versioning_settle_seconds"])
            if "invalidation_seconds" in body:
                INVALIDATION_SECONDS[body["distribution"]] = float(body["invalidation_seconds"])
        return 200, {"Content-Type": "application/json"}, json.dumps({"ok": True})

    # Read-only views for the local edge (scripts/edge.py) and the demo:
    # what a function version runs (the zip Lambda stores), and the mail SES
    # accepted (SES itself keeps no mailbox; the emulator stands in for the
    # recipients' inboxes).
    def bosun_code(self, request, full_url, headers):
        from moto.awslambda.models import lambda_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        args = request.args
        backend = lambda_backends[args.get("account", DEFAULT_ACCOUNT_ID)][args["region"]]
        function = backend.get_function(args["function"], args.get("qualifier"))
        return 200, {"Content-Type": "application/zip", "x-bosun-version": str(function.version)}, function.code_bytes

    def bosun_mail(self, request, full_url, headers):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        args = request.args
        backend = ses_backends[args.get("account", DEFAULT_ACCOUNT_ID)][args["region"]]
        out = []
        for m in backend.sent_messages:
            if hasattr(m, "raw_data"):
                out.append({"id": m.id, "source": m.source, "to": list(m.destinations), "raw": m.raw_data})
            else:
                to = [a for addrs in (m.destinations or {}).values() for a in addrs]
                out.append({"id": m.id, "source": m.source, "to": to, "subject": m.subject, "body": m.body})
        return 200, {"Content-Type": "application/json"}, json.dumps(out)

    def bosun_serving(self, request, full_url, headers):
        from moto.cloudfront.models import cloudfront_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        args = request.args
        backend = cloudfront_backends[args.get("account", DEFAULT_ACCOUNT_ID)]["aws"]
        dist = backend.distributions.get(args["distribution"])
        if dist is None:
            return 404, {"Content-Type": "application/json"}, json.dumps({"error": "NoSuchDistribution"})
        previous = []
        if time.monotonic() < getattr(dist, "_bosun_deployed_at", 0):
            previous = dist._bosun_previous
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"etag": dist.etag, "previous": previous}, default=str)

    MotoAPIResponse.bosun_rules = bosun_rules
    MotoAPIResponse.bosun_serving = bosun_serving
    urls.url_paths["{0}/moto-api/bosun-rules/serving$"] = urls.response_instance.bosun_serving
    MotoAPIResponse.bosun_code = bosun_code
    MotoAPIResponse.bosun_mail = bosun_mail
    urls.url_paths["{0}/moto-api/bosun-rules$"] = urls.response_instance.bosun_rules
    urls.url_paths["{0}/moto-api/bosun-rules/code$"] = urls.response_instance.bosun_code
    urls.url_paths["{0}/moto-api/bosun-rules/mail$"] = urls.response_instance.bosun_mail


if __name__ == "__main__":
    import textwrap

    for name, description in RULES.items():
        print(name)
        print(textwrap.indent(textwrap.fill(description, 76), "    "))
