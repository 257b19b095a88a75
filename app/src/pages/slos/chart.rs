//! An SLO's charts over its window: time along x (dates, or hours in a short window, in the
//! user's zone), one line, a horizontal reference (the objective, or the 0 % of a spent
//! budget) and a thin vertical marker at each deployment. Drawn like `crate::chart`: plotters
//! writes the axes and the line into an SVG string, whose placeholder colours become CSS
//! classes (so the theme colours them); each point gets an invisible dot with a `<title>`, and
//! each marker a `<title>`, so hovering shows the exact value.

use crate::format;
use nagare_core::text::html_escape as escape;
use nagare_core::time::DAY_MS;
use nagare_core::Timestamp;
use plotters::prelude::*;

const WIDTH: u32 = 720;
const HEIGHT: u32 = 250;
/// Placeholder colours, replaced by classes after drawing (never shown as such).
const LINE: RGBColor = RGBColor(0x01, 0x02, 0x03);
const LINE_HEX: &str = "#010203";
const REFERENCE: RGBColor = RGBColor(0x04, 0x05, 0x06);
const REFERENCE_HEX: &str = "#040506";

/// One value at an instant, with what hovering it says.
pub struct TimePoint {
    pub at_ms: i64,
    pub value: Option<f64>,
    pub title: String,
}

/// A deployment's end, as a thin vertical line.
pub struct Marker {
    pub at_ms: i64,
    pub title: String,
    /// It burned budget (drawn stronger).
    pub burned: bool,
}

pub struct TimeChart {
    /// The accessible name and SVG `<title>`.
    pub title: String,
    /// The y axis label, with its unit.
    pub unit: &'static str,
    /// The x axis label.
    pub x_desc: &'static str,
    pub from_ms: i64,
    pub to_ms: i64,
    pub points: Vec<TimePoint>,
    /// A horizontal line at this value, labelled.
    pub reference: Option<(f64, String)>,
    pub markers: Vec<Marker>,
    /// Values always inside the y range (beside the points and the reference).
    pub include: Vec<f64>,
    /// The y range never goes above this (an SLI never passes 100 %).
    pub ceiling: Option<f64>,
    /// Nor below this: lower values are drawn on the bottom edge (their titles keep them).
    pub floor: Option<f64>,
}

struct Drawn {
    dots: Vec<(i32, i32, String)>,
    markers: Vec<(i32, i32, i32, String, bool)>,
    reference: Option<(i32, i32, String)>,
}

impl TimeChart {
    /// Whether any value exists: an empty chart is not drawn (no empty axes).
    pub fn has_data(&self) -> bool {
        self.points.iter().any(|p| p.value.is_some())
    }

    /// The SVG, or `None` when there is nothing to plot or drawing failed.
    pub fn to_svg(&self) -> Option<String> {
        if !self.has_data() || self.to_ms <= self.from_ms {
            return None;
        }
        let (lo, hi) = self.y_range();
        let mut svg = String::new();
        let drawn = self.draw(&mut svg, lo, hi)?;
        Some(self.finish(svg, &drawn))
    }

    /// The values, the reference and `include`, with a margin; at least a little tall.
    fn y_range(&self) -> (f64, f64) {
        let values = self
            .points
            .iter()
            .filter_map(|p| p.value)
            .chain(self.reference.as_ref().map(|r| r.0))
            .chain(self.include.iter().copied());
        let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if !lo.is_finite() || !hi.is_finite() {
            return (0.0, 1.0);
        }
        // Values under the floor are drawn on it: the range starts there, without a margin.
        let floored = self.floor.filter(|f| lo < *f);
        if let Some(f) = floored {
            lo = f;
            hi = hi.max(f);
        }
        let span = (hi - lo).max(0.01);
        if floored.is_none() {
            lo -= span * 0.1;
        }
        hi += span * 0.1;
        if let Some(c) = self.ceiling {
            hi = hi.min(c);
        }
        if hi <= lo {
            hi = lo + span * 0.1;
        }
        (lo, hi)
    }

    fn draw(&self, svg: &mut String, lo: f64, hi: f64) -> Option<Drawn> {
        let (from, to) = (self.from_ms as f64, self.to_ms as f64);
        let short = self.to_ms - self.from_ms <= 2 * DAY_MS;
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(10)
            .margin_right(18)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(from..to, lo..hi)
            .ok()?;
        let x_fmt = |x: &f64| {
            let t = Timestamp(*x as i64);
            if short {
                format::date_time(t).chars().skip(11).collect()
            } else {
                format::short_date(t)
            }
        };
        let span = hi - lo;
        let y_fmt = |y: &f64| axis_number(*y, span);
        let grey = RGBColor(0x55, 0x5d, 0x6b);
        let text = ("sans-serif", 15).into_font().color(&grey);
        let desc = ("sans-serif", 14).into_font().color(&grey);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(6)
            .y_labels(5)
            .max_light_lines(0)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc)
            .y_desc(self.unit)
            .label_style(text)
            .axis_desc_style(desc)
            .bold_line_style(RGBColor(0xdd, 0xe1, 0xe6))
            .axis_style(RGBColor(0x99, 0xa1, 0xad))
            .draw()
            .ok()?;

        let reference = match &self.reference {
            Some((v, label)) => {
                chart
                    .draw_series(LineSeries::new(
                        [(from, *v), (to, *v)],
                        REFERENCE.stroke_width(1),
                    ))
                    .ok()?;
                let (x, y) = chart.backend_coord(&(to, *v));
                Some((x, y, label.clone()))
            }
            None => None,
        };

        // Contiguous runs: a bucket without events breaks the line.
        let style = LINE.stroke_width(2);
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut dots = Vec::new();
        for p in &self.points {
            match p.value {
                Some(v) => {
                    let v = v.clamp(lo, hi);
                    let at = p.at_ms as f64;
                    run.push((at, v));
                    let (x, y) = chart.backend_coord(&(at, v));
                    dots.push((x, y, p.title.clone()));
                }
                None => {
                    if run.len() > 1 {
                        chart
                            .draw_series(LineSeries::new(run.drain(..), style))
                            .ok()?;
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            chart.draw_series(LineSeries::new(run, style)).ok()?;
        }

        let markers = self
            .markers
            .iter()
            .filter(|m| m.at_ms >= self.from_ms && m.at_ms <= self.to_ms)
            .map(|m| {
                let (x, top) = chart.backend_coord(&(m.at_ms as f64, hi));
                let (_, bottom) = chart.backend_coord(&(m.at_ms as f64, lo));
                (x, top, bottom, m.title.clone(), m.burned)
            })
            .collect();
        root.present().ok()?;
        drop(chart);
        drop(root);
        Some(Drawn {
            dots,
            markers,
            reference,
        })
    }

    /// The accessible name, theme classes, markers, the reference's label and the titled dots.
    fn finish(&self, svg: String, drawn: &Drawn) -> String {
        let mut svg = svg
            .replace(
                &format!("stroke=\"{LINE_HEX}\""),
                &format!("stroke=\"{LINE_HEX}\" class=\"slo-line\""),
            )
            .replace(
                &format!("stroke=\"{REFERENCE_HEX}\""),
                &format!("stroke=\"{REFERENCE_HEX}\" class=\"slo-ref\""),
            );
        let title = escape(&self.title);
        let open = format!(
            "<svg role=\"img\" aria-label=\"{title}\" class=\"slo-chart-svg\" preserveAspectRatio=\"xMidYMid meet\" "
        );
        svg = svg.replacen("<svg ", &open, 1);
        if let Some(end) = svg.find('>') {
            svg.insert_str(end + 1, &format!("<title>{title}</title>"));
        }
        let mut extra = String::new();
        for (x, top, bottom, t, burned) in &drawn.markers {
            let class = if *burned {
                "marker marker-burned"
            } else {
                "marker"
            };
            extra.push_str(&format!(
                "<g class=\"{class}\" data-test=\"deployment-marker\"><title>{t}</title>\
                 <line x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\" class=\"marker-line\"/>\
                 <line x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\" class=\"marker-hit\"/></g>",
                t = escape(t)
            ));
        }
        if let Some((x, y, label)) = &drawn.reference {
            extra.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"slo-ref-label\">{}</text>",
                x - 4,
                y - 5,
                escape(label)
            ));
        }
        for (x, y, t) in &drawn.dots {
            extra.push_str(&format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" class=\"hit\"><title>{}</title></circle>",
                escape(t)
            ));
        }
        match svg.rfind("</svg>") {
            Some(at) => svg.insert_str(at, &extra),
            None => svg.push_str(&extra),
        }
        svg
    }
}

/// An axis number with the decimals its range needs ("99.95", "100", "-20").
fn axis_number(v: f64, span: f64) -> String {
    let decimals = if span < 0.1 {
        3
    } else if span < 1.0 {
        2
    } else if span < 10.0 {
        1
    } else {
        0
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    if s == "-0" {
        "0".to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: Vec<Option<f64>>) -> TimeChart {
        let step = 3_600_000;
        TimeChart {
            title: "SLI over the window (%)".into(),
            unit: "SLI (%)",
            x_desc: "Time",
            from_ms: 0,
            to_ms: step * values.len() as i64,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| TimePoint {
                    at_ms: i as i64 * step + step / 2,
                    value: *v,
                    title: format!("bucket {i} <b>"),
                })
                .collect(),
            reference: Some((99.9, "objective 99.9 %".into())),
            markers: vec![
                Marker {
                    at_ms: step,
                    title: "deploy d1".into(),
                    burned: true,
                },
                Marker {
                    at_ms: -5,
                    title: "outside".into(),
                    burned: false,
                },
            ],
            include: vec![],
            ceiling: Some(100.0),
            floor: None,
        }
    }

    #[test]
    fn draws_the_line_the_objective_the_markers_and_titled_points() {
        let svg = chart(vec![Some(99.95), Some(99.5), None, Some(100.0)])
            .to_svg()
            .unwrap_or_default();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(svg.contains("<title>SLI over the window (%)</title>"));
        assert!(svg.contains("SLI (%)"));
        assert!(svg.contains("class=\"slo-line\""));
        assert!(svg.contains("class=\"slo-ref\""));
        assert!(svg.contains("objective 99.9 %"));
        assert_eq!(svg.matches("class=\"hit\"").count(), 3);
        assert!(svg.contains("bucket 1 &lt;b&gt;"));
        // Only the marker inside the window is drawn.
        assert_eq!(svg.matches("data-test=\"deployment-marker\"").count(), 1);
        assert!(svg.contains("marker marker-burned"));
    }

    #[test]
    fn the_floor_keeps_the_scale_near_the_objective() {
        let mut c = chart(vec![Some(99.95), Some(80.0), Some(100.0)]);
        assert!(c.y_range().0 < 80.0);
        c.floor = Some(99.0);
        let (lo, hi) = c.y_range();
        assert_eq!(lo, 99.0);
        assert!(hi <= 100.0);
        // The dip is still drawn (on the bottom edge) and titled.
        assert_eq!(
            c.to_svg()
                .unwrap_or_default()
                .matches("class=\"hit\"")
                .count(),
            3
        );
    }

    #[test]
    fn nothing_to_plot_draws_nothing() {
        assert!(chart(vec![None, None]).to_svg().is_none());
        assert!(chart(vec![]).to_svg().is_none());
    }

    #[test]
    fn axis_numbers_keep_the_decimals_their_range_needs() {
        assert_eq!(axis_number(99.95, 0.2), "99.95");
        assert_eq!(axis_number(100.0, 0.2), "100");
        assert_eq!(axis_number(-20.0, 120.0), "-20");
        assert_eq!(axis_number(-0.0001, 120.0), "0");
        assert_eq!(axis_number(99.9, 5.0), "99.9");
    }
}
