"""Requests to the fake GitHub API checked against GitHub's OpenAPI description of the REST API.

``data/github_rest_openapi.json`` holds the operations the grader calls, taken from GitHub's published
description (``api.github.com``, API version 2022-11-28): each one's parameters, the JSON schema of its request
body (OpenAPI's ``nullable`` written as JSON Schema's ``"null"`` type) and its documented response codes. A
request passes when its method and path are an operation there, its query names only declared parameters
(``page``, which GitHub's own ``link`` headers add, aside), its body validates against the schema, and the
fake's answer is one of the documented responses (or one GitHub gives anywhere: 401, 404, 429, 5xx).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from functools import cache
from pathlib import Path

from jsonschema import Draft7Validator

DESCRIPTION = Path(__file__).parent / "data" / "github_rest_openapi.json"
# answers GitHub gives on any operation, documented or not: a bad token, a resource it will not show, limits
ANY_OPERATION = {"401", "404", "429", "500", "502", "503", "504"}


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict]]:
    spec = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    found = []
    for template, methods in spec["paths"].items():
        pattern = re.sub(r"\{(\w+)\}", lambda m: "(?:.+)" if m.group(1) == "ref" else "[^/]+", template)
        for method, operation in methods.items():
            found.append((re.compile(f"^{pattern}$"), method.upper(), {**operation, "template": template}))
    return found


def operation_for(method: str, path: str) -> dict | None:
    bare = urllib.parse.urlsplit(path).path
    for pattern, verb, operation in _operations():
        if verb == method and pattern.match(bare):
            return operation
    return None


def problems(requests: list[dict]) -> list[str]:
    """Every request (as tests/fake_github.py records them) that GitHub's description does not allow."""
    found = []
    for request in requests:
        method, path = request["method"], request["path"]
        shown = f"{method} {path}"
        operation = operation_for(method, path)
        if operation is None:
            found.append(f"{shown}: no such operation in GitHub's REST API")
            continue
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "query"} | {"page"}
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        found += [f"{shown}: query parameter {name!r} is not one of {operation['operationId']}'s"
                  for name in sorted(set(query) - declared)]
        for parameter in operation["parameters"]:
            given = query.get(parameter["name"]) if parameter["in"] == "query" else None
            if given is not None and given not in parameter["schema"].get("enum", [given]):
                found.append(f"{shown}: {parameter['name']}={given!r} is not one of {parameter['schema']['enum']}")
        schema = operation.get("requestBody")
        if request["body"] is not None and schema is None:
            found.append(f"{shown}: {operation['operationId']} takes no body")
        elif schema is not None and request["body"] is None and operation.get("requestBodyRequired"):
            found.append(f"{shown}: {operation['operationId']} needs a body")
        elif schema is not None and request["body"] is not None:
            for error in Draft7Validator(schema).iter_errors(request["body"]):
                where = "/".join(str(p) for p in error.absolute_path) or "(body)"
                found.append(f"{shown}: {where}: {error.message}")
            # GitHub ignores a field it does not know: a misspelt setting would be silently lost
            unknown = sorted(set(request["body"]) - set(schema.get("properties", {}))) \
                if isinstance(request["body"], dict) and "properties" in schema else []
            found += [f"{shown}: {name!r} is not a field of {operation['operationId']}'s body" for name in unknown]
        status = str(request.get("status", ""))
        if status and status not in {*operation["responses"], *ANY_OPERATION}:
            found.append(f"{shown}: HTTP {status} is not a documented answer ({', '.join(operation['responses'])})")
    return found
