"""The yearly report as one self-contained HTML page: a table of figures and an inline SVG chart per KPI."""

from html import escape
from typing import Any

from services.registry.reports.svg import bar_chart

STYLE = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:760px;margin:2em auto;"
         "color:#222}h1{font-size:1.5em}section{margin:2em 0}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f4f4f4}"
         "td:first-child{text-align:left}")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}{unit}" if unit == "元" else f"{value:,g}{unit}"


def render(report: dict[str, Any]) -> str:
    year = report["year"]
    out = [f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(report["title"])}</title>'
           f"<style>{STYLE}</style></head><body><h1>{escape(report['title'])}</h1>"]
    for kpi in report["kpis"]:
        out.append(f'<section id="{kpi["key"]}"><h2>{escape(kpi["name"])}</h2><table><tr><th>指标</th>'
                   f"<th>{year}年</th><th>{year - 1}年</th><th>同比增长</th></tr>")
        for f in kpi["figures"]:
            growth = "—" if f["growth_percent"] is None else f"{f['growth_percent']:+.1f}%"
            out.append(f"<tr><td>{escape(f['label'])}</td><td>{_number(f['value'], f['unit'])}</td>"
                       f"<td>{_number(f['previous'], f['unit'])}</td><td>{growth}</td></tr>")
        out.append("</table>")
        chart = kpi["chart"]
        out.append(bar_chart(chart["title"], chart["labels"], [(s["name"], s["values"]) for s in chart["series"]]))
        out.append("</section>")
    out.append("</body></html>")
    return "".join(out)
