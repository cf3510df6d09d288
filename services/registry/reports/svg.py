"""Bar charts as inline SVG, drawn by hand: one group of bars per label, one colour per series."""

from html import escape

COLOURS = ("#c0392b", "#2471a3", "#229954", "#b9770e")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 280, 70, 20, 40, 50


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (at least 1), so the axis has round numbers."""
    if value <= 1:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def short(value: float) -> str:
    if value >= 1e8:
        return f"{value / 1e8:.2f}亿"
    if value >= 1e4:
        return f"{value / 1e4:.1f}万"
    return f"{value:g}"


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]]) -> str:
    top = nice_ceiling(max((v for _, values in series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
             f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">'
             f'{escape(title)}</text>']
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{short(value)}</text>')
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top
            x, y = x0 + s * bar_w, TOP + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(name)} {escape(label)}: {value:g}'
                         f'</title></rect>')
            if value:
                parts.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                             f'font-size="9">{short(value)}</text>')
        parts.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    if len(series) > 1:
        for s, (name, _) in enumerate(series):
            x = LEFT + s * 150
            parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>'
                         f'<text x="{x + 14}" y="{HEIGHT - 9}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
