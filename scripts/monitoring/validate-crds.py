#!/usr/bin/env python3
"""Validate Prometheus Operator custom resources against their CRD schemas.

Checks ServiceMonitor, PodMonitor, PrometheusRule (monitoring.coreos.com/v1)
documents from a multi-document YAML stream against the openAPIV3Schema of the
CustomResourceDefinitions found in --crd-dir / --crd, the way a Kubernetes API
server with strict field validation would:

  * openAPIV3Schema is treated as JSON Schema draft 4 (OpenAPI 3.0 keywords
    such as boolean exclusiveMinimum are draft-4 semantics);
  * every object schema that does not carry x-kubernetes-preserve-unknown-fields
    gets additionalProperties: false when it does not say otherwise, so unknown
    fields (typos) are errors, as they are under strict field validation;
  * x-kubernetes-int-or-string becomes anyOf [integer, string];
  * nullable: true allows null; other nulls are errors unless --allow-null
    (the API server would silently prune them, a renderer should not emit them);
  * x-kubernetes-list-type set/map: duplicate items / duplicate map keys are
    errors (e.g. two PrometheusRule groups with the same name);
  * format int32/int64 ranges and date-time syntax are checked;
  * metadata is checked against a strict ObjectMeta subset (name required,
    DNS-1123 name/namespace, label key/value syntax, string-valued labels and
    annotations, no unknown metadata fields);
  * apiVersion must be exactly one served version of the CRD's group and kind
    must be the CRD's kind;
  * YAML: duplicate mapping keys are errors; timestamps stay strings (YAML 1.1
    timestamp resolution is disabled, as sigs.k8s.io/yaml does).

Not checked: x-kubernetes-validations (CEL; the three CRDs used here have none),
defaulting, and anything only the operator itself validates (e.g. PromQL).

Usage: validate_crd.py [--crd-dir DIR] [--crd FILE]... [--skip-unknown]
                       [--allow-null] FILE|- ...
Exit status: 0 all documents valid, 1 a document is invalid, 2 usage/IO/YAML error.
"""

import argparse
import glob
import os
import re
import sys

import yaml
from jsonschema import Draft4Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError, ValidationError

DEFAULT_CRD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".tools", "crds")

# ---------------------------------------------------------------- YAML loading


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without timestamp resolution and with duplicate-key errors."""


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key).lower() if isinstance(key, bool) else str(key)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        seen[key] = True
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):  # sigs.k8s.io/yaml stringifies scalar keys
            key = str(key).lower() if isinstance(key, bool) else str(key)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# ------------------------------------------------------------ schema handling

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
QUALIFIED_NAME = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"

OBJECT_META = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 253, "pattern": DNS1123_SUBDOMAIN},
        "namespace": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": DNS1123_LABEL},
        "labels": {
            "type": "object",
            "patternProperties": {QUALIFIED_NAME: {"type": "string", "maxLength": 63,
                                                   "pattern": LABEL_VALUE}},
            "additionalProperties": False,
        },
        "annotations": {
            "type": "object",
            "patternProperties": {QUALIFIED_NAME: {"type": "string"}},
            "additionalProperties": False,
        },
        "generateName": {"type": "string"},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": "string"},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "managedFields": {"type": "array"},
        "selfLink": {"type": "string"},
    },
    "additionalProperties": False,
}

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
_DROP = ("description", "example", "externalDocs", "nullable", "default")
_INLINE_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def re2_to_python(pattern):
    """CRD patterns are Go RE2; make the few RE2-only spellings valid for Python re.

    RE2 accepts a global flag group such as (?i) anywhere ('^(?i)(abort|warn)?$' in
    the PrometheusRule CRD); Python requires it at the start. Moving it there only
    widens it over a preceding '^', which is case-insensitive anyway. RE2 \\z is \\Z.
    """
    flags = "".join(_INLINE_FLAGS.findall(pattern))
    body = _INLINE_FLAGS.sub("", pattern).replace(r"\z", r"\Z")
    return (f"(?{flags})" if flags else "") + body


def to_json_schema(s, allow_null=False, in_junctor=False):
    """Convert one openAPIV3Schema node (structural CRD schema) to draft-4 JSON Schema."""
    if not isinstance(s, dict):
        return s
    out = {}
    for key, val in s.items():
        if key in _DROP:
            continue
        if key in _SCHEMA_MAPS:
            out[key] = {k: to_json_schema(v, allow_null) for k, v in val.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [to_json_schema(v, allow_null, in_junctor=True) for v in val]
        elif key == "pattern":
            out[key] = re2_to_python(val)
        elif key in ("items", "additionalProperties", "not"):
            out[key] = to_json_schema(val, allow_null, in_junctor=(key == "not")) \
                if isinstance(val, dict) else val
        else:  # type, enum, pattern, min*/max*, format, required, x-kubernetes-* ...
            out[key] = val

    if s.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])

    if s.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props["metadata"] = OBJECT_META

    # Structural schemas: unknown fields are pruned/rejected unless preserved.
    # Junctor branches (anyOf/allOf/oneOf/not) never define structure.
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and not in_junctor and not s.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)

    if (s.get("nullable") or allow_null) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _list_type(validator, list_type, instance, schema):
    if not validator.is_type(instance, "array"):
        return
    if list_type == "set":
        seen = []
        for i, item in enumerate(instance):
            if item in seen:
                yield ValidationError(
                    f"duplicate entry {item!r} at index {i} in list-type=set")
            seen.append(item)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        seen = {}
        for i, item in enumerate(instance):
            if not isinstance(item, dict):
                continue
            ident = tuple((k, repr(item.get(k))) for k in keys)
            if ident in seen:
                shown = ", ".join(f"{k}={item.get(k)!r}" for k in keys)
                yield ValidationError(
                    f"duplicate entry at index {i} (same {shown} as index {seen[ident]}) "
                    f"in list-type=map keyed by {keys}")
            else:
                seen[ident] = i


K8sValidator = validators.extend(Draft4Validator, {"x-kubernetes-list-type": _list_type})

FORMATS = FormatChecker(formats=())
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@FORMATS.checks("int32")
def _int32(v):
    return not isinstance(v, int) or isinstance(v, bool) or -2**31 <= v < 2**31


@FORMATS.checks("int64")
def _int64(v):
    return not isinstance(v, int) or isinstance(v, bool) or -2**63 <= v < 2**63


@FORMATS.checks("date-time")
def _date_time(v):
    return not isinstance(v, str) or bool(_RFC3339.match(v))


def load_crds(paths, allow_null):
    """Return {(apiVersion, kind): (validator, crd_name, operator_version)}."""
    registry = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            docs = list(yaml.load_all(fh, Loader=StrictLoader))
        for crd in docs:
            if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            ann = crd.get("metadata", {}).get("annotations", {}) or {}
            for ver in spec["versions"]:
                if not ver.get("served", True):
                    continue
                raw = ver["schema"]["openAPIV3Schema"]
                schema = to_json_schema(raw, allow_null)
                props = schema.setdefault("properties", {})
                props["metadata"] = OBJECT_META
                schema["required"] = sorted(set(schema.get("required", [])) |
                                            {"apiVersion", "kind", "metadata"})
                K8sValidator.check_schema(schema)
                api_version = f"{spec['group']}/{ver['name']}"
                registry[(api_version, spec["names"]["kind"])] = (
                    K8sValidator(schema, format_checker=FORMATS),
                    crd["metadata"]["name"],
                    ann.get("operator.prometheus.io/version", "?"))
    return registry


# ------------------------------------------------------------------ checking

def fmt_path(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"


def iter_docs(stream_name):
    fh = sys.stdin if stream_name == "-" else open(stream_name, encoding="utf-8")
    try:
        for idx, doc in enumerate(yaml.load_all(fh, Loader=StrictLoader)):
            if doc is None:
                continue
            if isinstance(doc, dict) and doc.get("apiVersion") == "v1" and doc.get("kind") == "List":
                for j, item in enumerate(doc.get("items") or []):
                    yield f"{idx}.items[{j}]", item
            else:
                yield str(idx), doc
    finally:
        if fh is not sys.stdin:
            fh.close()


def check_doc(doc, registry, skip_unknown):
    """Return (status, label, errors); status in ok/invalid/skipped."""
    if not isinstance(doc, dict):
        return "invalid", "?", [f"(root): document is a {type(doc).__name__}, not a mapping"]
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
    label = f"{kind}/{name}" if kind else "?"
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return "invalid", label, ["(root): apiVersion and kind must be strings"]
    entry = registry.get((api_version, kind))
    if entry is None:
        known_for_kind = sorted(av for av, k in registry if k == kind)
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        known_groups = {av.rsplit("/", 1)[0] for av, _ in registry}
        if known_for_kind:
            return "invalid", label, [
                f"apiVersion: {api_version!r} is not a served version for kind {kind} "
                f"(expected one of {known_for_kind})"]
        if group in known_groups:
            return "invalid", label, [f"kind: {kind!r} has no loaded CRD in group {group}"]
        if skip_unknown:
            return "skipped", label, []
        return "invalid", label, [f"no CRD schema loaded for {api_version} {kind}"]
    validator = entry[0]
    errors = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return ("invalid" if errors else "ok"), label, [
        f"{fmt_path(e.absolute_path)}: {e.message}" for e in errors]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="YAML stream(s) to validate, '-' for stdin")
    ap.add_argument("--crd-dir", default=None,
                    help=f"directory of CRD YAMLs (default {DEFAULT_CRD_DIR}, *.monitoring.coreos.com.yaml)")
    ap.add_argument("--crd", action="append", default=[], help="CRD YAML file (repeatable)")
    ap.add_argument("--skip-unknown", action="store_true",
                    help="skip documents of groups with no loaded CRD instead of failing")
    ap.add_argument("--allow-null", action="store_true", help="accept null for any field")
    args = ap.parse_args(argv)

    crd_files = list(args.crd)
    if args.crd_dir or not crd_files:
        crd_dir = args.crd_dir or DEFAULT_CRD_DIR
        crd_files += sorted(glob.glob(os.path.join(crd_dir, "*monitoring.coreos.com*.yaml")))
    try:
        registry = load_crds(crd_files, args.allow_null)
    except (OSError, yaml.YAMLError, KeyError, SchemaError, re.error) as exc:
        print(f"error: loading CRDs: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if not registry:
        print("error: no CRD schemas loaded", file=sys.stderr)
        return 2

    counts = {"ok": 0, "invalid": 0, "skipped": 0}
    for stream in args.files:
        try:
            for idx, doc in iter_docs(stream):
                status, label, errs = check_doc(doc, registry, args.skip_unknown)
                counts[status] += 1
                print(f"{stream}#{idx} {label}: {status.upper()}")
                for e in errs:
                    print(f"    {e}")
        except (OSError, yaml.YAMLError) as exc:
            print(f"error: {stream}: {exc}", file=sys.stderr)
            return 2
    print(f"{counts['ok']} valid, {counts['invalid']} invalid, {counts['skipped']} skipped")
    return 1 if counts["invalid"] else 0


if __name__ == "__main__":
    sys.exit(main())
