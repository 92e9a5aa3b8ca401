"""The Grafana dashboard the Helm chart ships (helm/feed/files/dashboard.json), built with Grafana's own SDK.

The panels are data in monitoring/panels.py; this module lays them out with
grafana-foundation-sdk's builders (two panels a line, a row per subject) and
writes the JSON Grafana loads. tests/observability checks the committed file
matches, so edit the code and run `.venv/bin/python -m monitoring.dashboard`,
never the JSON.

Exemplars: the latency panels ask Prometheus for exemplars, and each carries a
data link that opens the exemplar's trace_id in the $tracing datasource (Tempo
by default). Grafana draws exemplars only when the Prometheus datasource has
them enabled; docs/deploy.md shows its exemplarTraceIdDestinations setting.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grafana_foundation_sdk.builders import common, prometheus, timeseries
from grafana_foundation_sdk.builders import dashboard as grafana
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models

from monitoring.panels import ROWS, Panel

OUT = Path(__file__).resolve().parent.parent / "helm" / "feed" / "files" / "dashboard.json"
PROMETHEUS = models.DataSourceRef(type_val="prometheus", uid="${datasource}")
WIDTH = 12  # half the grid: two panels a line
HEIGHT = 8
# Explore, in the tracing datasource, at the trace an exemplar names (Tempo and Jaeger both take an id as query).
TRACE_URL = '/explore?left={"datasource":"${tracing}","queries":[{"refId":"A","query":"${__data.fields.trace_id}"}]}'


def trace_link() -> grafana.DashboardLink:
    """The link an exemplar's tooltip offers: its trace in the $tracing datasource."""
    return grafana.DashboardLink("Trace ${__data.fields.trace_id}").url(TRACE_URL).target_blank(True)


def time_series(panel_id: int, spec: Panel) -> timeseries.Panel:
    """One time-series panel with its queries, two a line."""
    built = (
        timeseries.Panel()
        .id(panel_id)
        .title(spec.title)
        .description(spec.description)
        .datasource(PROMETHEUS)
        .unit(spec.unit)
        .span(WIDTH)
        .height(HEIGHT)
        .legend(
            common.VizLegendOptions()
            .display_mode(common_models.LegendDisplayMode.LIST)
            .placement(common_models.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(common.VizTooltipOptions().mode(common_models.TooltipDisplayMode.MULTI))
    )
    for i, (expr, legend) in enumerate(spec.targets):
        query = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + i))
        built.with_target(query.datasource(PROMETHEUS).exemplar(spec.exemplars))
    if spec.exemplars:
        built.data_links([trace_link()])
    return built


def variables() -> list[grafana.DatasourceVariable | grafana.QueryVariable]:
    """The datasources (metrics, traces) and the namespace and Redis instances the panels are scoped to."""
    return [
        grafana.DatasourceVariable("datasource").label("Data source").type("prometheus"),
        grafana.DatasourceVariable("tracing")
        .label("Traces (exemplar links)")
        .description("Where an exemplar's trace_id opens: a Tempo datasource (edit the type for Jaeger).")
        .type("tempo"),
        grafana.QueryVariable("namespace")
        .label("Namespace")
        .datasource(PROMETHEUS)
        .query("label_values(feed_fanout_assigned_partitions, namespace)")
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED),
        grafana.QueryVariable("redis_instance")
        .label("Redis (redis_exporter)")
        .datasource(PROMETHEUS)
        .query("label_values(redis_memory_used_bytes, instance)")
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .include_all(True)
        .multi(True)
        .all_value(".*"),
    ]


def build() -> grafana.Dashboard:
    """The dashboard: one row per subject, its panels laid out two a line by the SDK."""
    board = (
        grafana.Dashboard("Feed")
        .uid("feed-overview")
        .description(
            "RED per RPC, outbox relay backlog and lag, fan-out throughput, lag and publish-to-visible latency, "
            "rebuilds, post cache, dependencies, read filtering by stage, live streams, the web gateway. "
            "Latency panels link exemplars to traces. Redis memory needs redis_exporter."
        )
        .tags(["feed"])
        .editable()
        .version(3)
        .time("now-6h", "now")
        .refresh("30s")
        .timezone("utc")
        .variables(variables())
    )
    panel_id = 0
    for row_title, specs in ROWS:
        panel_id += 1
        board.with_row(grafana.Row(row_title).id(panel_id))
        for spec in specs:
            panel_id += 1
            board.with_panel(time_series(panel_id, spec))
    return board


def render() -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(build().build()) + "\n"


def main() -> int:
    OUT.write_text(render())
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
