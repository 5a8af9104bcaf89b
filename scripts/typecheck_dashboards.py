#!/usr/bin/env python3
"""Type-checks Grafana dashboard JSON files against npm `@grafana/schema` with `tsc`.

Each dashboard becomes a TypeScript module in which every panel is an object literal checked
(`satisfies`) against its panel plugin's generated `Options` and `FieldConfig` types, and the
dashboard against `Dashboard`. That catches what decoding with Grafana's Python model lets
through: a required field left out (the TypeScript types make required what Grafana's schema
fills with a default), and object literals get TypeScript's excess-property check. Enum-typed
fields are compared with their string values, since JSON cannot name an enum member.

Usage: typecheck_dashboards.py TSC FILE...   (TSC: node_modules/.bin/tsc of an npm directory that
also holds @grafana/schema; exit 1 with tsc's messages, naming the dashboard, on failure)
"""

import json
import os
import subprocess
import sys
import tempfile

# Panel type -> (directory under raw/composable, file prefix, has a FieldConfig type).
PANELS = {
    "timeseries": ("timeseries", "TimeSeriesPanelCfg", True),
    "stat": ("stat", "StatPanelCfg", False),
    "gauge": ("gauge", "GaugePanelCfg", False),
    "bargauge": ("bargauge", "BarGaugePanelCfg", False),
    "piechart": ("piechart", "PieChartPanelCfg", True),
    "table": ("table", "TablePanelCfg", True),
    "heatmap": ("heatmap", "HeatmapPanelCfg", True),
}

PRELUDE = """\
import type { Dashboard as DashboardT, Panel as PanelT, RowPanel as RowPanelT } from '@grafana/schema';
// JSON cannot name a TypeScript enum member: enum-typed fields are compared with their values.
type Wire<T> = T extends string ? `${T}`
  : T extends readonly (infer U)[] ? Wire<U>[]
  : T extends object ? { [K in keyof T]: Wire<T[K]> }
  : T;
type Dashboard = Wire<DashboardT>;
type RowPanel = Wire<RowPanelT>;
type Panel<O, F> = Wire<Omit<PanelT<O, F>, 'options'> & { options: O }>;
"""


def panel_type(panel):
    kind = panel.get("type")
    if kind == "row":
        return "RowPanel"
    if kind not in PANELS:
        raise SystemExit(f"panel type {kind!r} has no type mapping here; add it to PANELS")
    custom = f"{kind}.FieldConfig" if PANELS[kind][2] else "Record<string, unknown>"
    return f"Panel<{kind}.Options, {custom}>"


def module(dashboard):
    """The TypeScript module checking one dashboard, panel by panel."""
    lines = [PRELUDE]
    for kind, (directory, prefix, _) in PANELS.items():
        lines.append(
            f"import type * as {kind} from "
            f"'@grafana/schema/dist/esm/raw/composable/{directory}/panelcfg/x/{prefix}_types.gen';"
        )

    def literal(value, panels):
        text = json.dumps(value, indent=1, ensure_ascii=False)
        return text.replace('"__PANELS__"', "[" + ", ".join(panels) + "]")

    refs = []
    for index, panel in enumerate(dashboard.pop("panels", [])):
        name = f"panel{index}"
        inner = []
        if panel.get("type") == "row":
            for nested_index, nested in enumerate(panel.pop("panels", [])):
                nested_name = f"{name}_{nested_index}"
                lines.append(f"const {nested_name} = {literal(nested, [])} satisfies {panel_type(nested)};")
                inner.append(nested_name)
            panel["panels"] = "__PANELS__"
        lines.append(f"const {name} = {literal(panel, inner)} satisfies {panel_type(panel)};")
        refs.append(name)
    dashboard["panels"] = "__PANELS__"
    lines.append(f"export const dashboard = {literal(dashboard, refs)} satisfies Dashboard;")
    return "\n".join(lines) + "\n"


def main(tsc, paths):
    node_modules = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(tsc))))
    failed = False
    with tempfile.TemporaryDirectory(dir=os.path.dirname(node_modules)) as work:
        sources = []
        for path in paths:
            with open(path, encoding="utf-8") as file:
                dashboard = json.load(file)
            source = os.path.join(work, os.path.basename(path).replace(".json", ".ts"))
            with open(source, "w", encoding="utf-8") as file:
                file.write(module(dashboard))
            sources.append(source)
        run = subprocess.run(
            [tsc, "--noEmit", "--strict", "--skipLibCheck", "--target", "es2022",
             "--module", "commonjs", "--moduleResolution", "node10",
             *(os.path.basename(source) for source in sources)],
            cwd=work, capture_output=True, text=True, check=False,
        )
        if run.returncode != 0:
            failed = True
            print((run.stdout + run.stderr).rstrip(), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
