//! Inline SVG charts. Plain strings, no dependencies; every label is escaped.

use std::fmt::Write;

use super::esc;
use crate::numbers::fixed;

/// Colour for a 1–5 score: red at 1, amber at 3, green at 5.
pub(super) fn score_colour(score: f64) -> String {
    let t = ((score - 1.0) / 4.0).clamp(0.0, 1.0);
    let (from, to, u) = if t < 0.5 {
        ((215.0, 48.0, 31.0), (253.0, 200.0, 80.0), t * 2.0)
    } else {
        ((253.0, 200.0, 80.0), (26.0, 152.0, 80.0), (t - 0.5) * 2.0)
    };
    let mix = |a: f64, b: f64| (a + (b - a) * u).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(from.0, to.0),
        mix(from.1, to.1),
        mix(from.2, to.2)
    )
}

/// A heatmap: one row per label, one column per criterion, cells coloured by score.
pub(super) fn heatmap(rows: &[String], cols: &[String], cells: &[Vec<Option<f64>>]) -> String {
    let (label_w, cell_w, cell_h, head_h) = (470.0, 110.0, 30.0, 34.0);
    let width = label_w + cell_w * cols.len() as f64;
    let height = head_h + cell_h * rows.len() as f64;
    let mut svg = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (j, c) in cols.iter().enumerate() {
        let x = label_w + cell_w * (j as f64 + 0.5);
        let _ = write!(
            svg,
            r#"<text x="{x}" y="22" text-anchor="middle" class="head">{}</text>"#,
            esc(c)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = head_h + cell_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y + 20.0,
            esc(r)
        );
        for (j, value) in cells[i].iter().enumerate() {
            let x = label_w + cell_w * j as f64;
            match value {
                Some(v) => {
                    let shown = fixed(*v, 2);
                    let _ = write!(
                        svg,
                        r#"<rect x="{x}" y="{y}" width="{}" height="{}" fill="{}"><title>{shown}</title></rect><text x="{}" y="{}" text-anchor="middle" class="cell">{shown}</text>"#,
                        cell_w - 2.0,
                        cell_h - 2.0,
                        score_colour(*v),
                        x + cell_w / 2.0,
                        y + 20.0
                    );
                }
                None => {
                    let _ = write!(
                        svg,
                        r#"<rect x="{x}" y="{y}" width="{}" height="{}" class="empty"/>"#,
                        cell_w - 2.0,
                        cell_h - 2.0
                    );
                }
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars from `origin`, with optional [low, high] whiskers.
pub(super) struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    pub text: String,
}

pub(super) fn bars(bars: &[Bar], origin: f64, max: f64) -> String {
    let (label_w, plot_w, row_h) = (300.0, 420.0, 30.0);
    let lo = bars
        .iter()
        .map(|b| b.interval.map_or(b.value, |i| i.0))
        .fold(origin, f64::min);
    let hi = bars
        .iter()
        .map(|b| b.interval.map_or(b.value, |i| i.1))
        .fold(max, f64::max);
    let span = (hi - lo).max(f64::EPSILON);
    let x = |v: f64| label_w + (v - lo) / span * plot_w;
    let height = row_h * bars.len() as f64 + 10.0;
    let width = label_w + plot_w + 110.0;
    let mut svg = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let (a, z) = if b.value >= origin {
            (x(origin), x(b.value))
        } else {
            (x(b.value), x(origin))
        };
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{a:.1}" y="{}" width="{:.1}" height="18" class="bar"/>"#,
            label_w - 8.0,
            y + 14.0,
            esc(&b.label),
            y + 1.0,
            (z - a).max(1.0)
        );
        if let Some((l, h)) = b.interval {
            let _ = write!(
                svg,
                r#"<line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" class="whisker"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" class="whisker"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" class="whisker"/>"#,
                x(l),
                x(h),
                y + 10.0,
                y + 10.0,
                x(l),
                x(l),
                y + 4.0,
                y + 16.0,
                x(h),
                x(h),
                y + 4.0,
                y + 16.0
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}">{}</text>"#,
            label_w + plot_w + 8.0,
            y + 14.0,
            esc(&b.text)
        );
    }
    let _ = write!(
        svg,
        r#"<line x1="{0:.1}" x2="{0:.1}" y1="0" y2="{height}" class="axis"/>"#,
        x(origin)
    );
    svg.push_str("</svg>");
    svg
}

/// A run's calls as bars on one lane per endpoint, a row per call in flight at once,
/// coloured by phase; failed calls are outlined red and retried attempts hatched grey.
pub(super) fn timeline(t: &super::timeline::Timeline) -> String {
    let (label_w, plot_w, row_h, gap) = (140.0, 640.0, 12.0, 10.0);
    let rows: u32 = t.lanes.iter().map(|l| l.rows.max(1)).sum();
    let height = row_h * f64::from(rows) + gap * t.lanes.len() as f64 + 24.0;
    let width = label_w + plot_w + 20.0;
    let mut svg = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let mut y = 0.0;
    for lane in &t.lanes {
        let lane_h = row_h * f64::from(lane.rows.max(1));
        let _ = write!(
            svg,
            r#"<rect x="{label_w}" y="{y:.1}" width="{plot_w}" height="{lane_h:.1}" class="empty"/><text x="{}" y="{:.1}" text-anchor="end" class="small">{} ({} at once)</text>"#,
            label_w - 6.0,
            y + 10.0,
            esc(&lane.endpoint),
            lane.rows
        );
        for c in &lane.calls {
            let x0 = label_w + c.start / t.total * plot_w;
            let w = ((c.end - c.start) / t.total * plot_w).max(1.5);
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" class="phase-{} status-{}"><title>{} · {} · {}: {}–{} s</title></rect>"#,
                y + row_h * f64::from(c.row) + 1.0,
                row_h - 2.0,
                esc(&c.phase),
                esc(&c.status),
                esc(&c.phase.replace('_', " ")),
                esc(&c.actor),
                esc(&c.status),
                fixed(c.start, 1),
                fixed(c.end, 1)
            );
        }
        y += lane_h + gap;
    }
    let _ = write!(
        svg,
        r#"<text x="{label_w}" y="{}" class="small">0 s</text><text x="{}" y="{}" text-anchor="end" class="small">{} s</text>"#,
        height - 4.0,
        label_w + plot_w,
        height - 4.0,
        fixed(t.total, 0)
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_from_red_through_amber_to_green() {
        assert_eq!(score_colour(1.0), "#d7301f");
        assert_eq!(score_colour(3.0), "#fdc850");
        assert_eq!(score_colour(5.0), "#1a9850");
    }

    #[test]
    fn labels_are_escaped_in_svg() {
        let svg = heatmap(&["<script>".into()], &["a&b".into()], &[vec![Some(3.0)]]);
        assert!(
            !svg.contains("<script>") && svg.contains("&lt;script&gt;") && svg.contains("a&amp;b")
        );
    }
}
