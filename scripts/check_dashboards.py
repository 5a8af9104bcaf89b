#!/usr/bin/env python3
"""Checks Grafana dashboard JSON files against Grafana's own dashboard model.

Each file is decoded with PyPI `grafana-foundation-sdk` (the 11.6 line: Grafana's generated
types, panel plugins registered) and encoded again. A file that does not decode fails; so does
any key that does not survive the round trip, because the model does not know it (a misspelt
field, an option of another panel type, a value of the wrong shape).

Usage: check_dashboards.py FILE...   (exit 1 and one line per problem on failure)
"""

import json
import sys

from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

def dropped(original, encoded, path):
    """Paths of keys in `original` missing from `encoded`."""
    if isinstance(original, dict) and isinstance(encoded, dict):
        for key, value in original.items():
            where = f"{path}.{key}"
            if key not in encoded:
                yield where
                continue
            yield from dropped(value, encoded[key], where)
    elif isinstance(original, list) and isinstance(encoded, list):
        if len(original) != len(encoded):
            yield f"{path} (length {len(original)} became {len(encoded)})"
            return
        for index, (a, b) in enumerate(zip(original, encoded)):
            yield from dropped(a, b, f"{path}[{index}]")


def main(paths):
    plugins.register_default_plugins()
    problems = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            original = json.load(file)
        try:
            model = Dashboard.from_json(original)
            encoded = json.loads(json.dumps(model, cls=JSONEncoder))
        except Exception as err:  # any decoding failure is the finding
            problems.append(f"{path}: does not decode as a Grafana dashboard: {err!r}")
            continue
        problems.extend(f"{path}: {where} is not in Grafana's dashboard model"
                        for where in dropped(original, encoded, "$"))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
