//! Charts drawn on the server as SVG: no script, no library, readable without colour (each
//! bar carries its value as text) and by screen readers (`role="img"` with a title that says
//! what the chart shows).

use crate::http::errors::html_escape;

/// One bar: its label, its value, and the value as shown.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

const WIDTH: f64 = 560.0;
const ROW: f64 = 26.0;
const LABEL: f64 = 170.0;
const VALUE: f64 = 90.0;

/// A horizontal bar chart, one row per bar, longest bar = the largest value.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let room = WIDTH - LABEL - VALUE;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{title}\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{title}</title>",
        title = html_escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let length = if max > 0.0 {
            room * bar.value / max
        } else {
            0.0
        };
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{length:.1}\" height=\"{h}\" fill=\"#0b5cad\"></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{shown}</text>",
            lx = LABEL - 8.0,
            ty = y + ROW * 0.62,
            h = ROW - 8.0,
            vx = LABEL + length + 6.0,
            label = html_escape(&bar.label),
            shown = html_escape(&bar.shown),
        ));
    }
    if bars.is_empty() {
        svg.push_str("<text x=\"0\" y=\"20\">No data yet</text>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::{Bar, bars};

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "Open work per portal",
            &[
                Bar {
                    label: "A & B".into(),
                    value: 2.0,
                    shown: "2".into(),
                },
                Bar {
                    label: "C".into(),
                    value: 4.0,
                    shown: "4".into(),
                },
            ],
        );
        assert!(svg.contains("A &amp; B"));
        assert!(
            svg.contains("width=\"150.0\"") && svg.contains("width=\"300.0\""),
            "{svg}"
        );
        assert!(svg.contains("<title>Open work per portal</title>"));
    }
}
