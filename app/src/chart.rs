//! Weekly trend charts: plotters draws an SVG into a string, which a card injects as inner HTML.
//! Each point gets an SVG `<title>` so that hovering shows its exact value; series colours come
//! from CSS classes (`series-0`, `series-1`) so they follow the light or dark theme.

use crate::strings;
use plotters::prelude::*;

/// Drawing size; the SVG scales to its container through its `viewBox`. Plotters writes font
/// sizes at 1/1.24 of what it is given, hence 15 for 12 px labels.
const WIDTH: u32 = 250;
const HEIGHT: u32 = 170;
/// Plotted colours, replaced by CSS classes after drawing (never shown as such).
const MARKERS: [RGBColor; 2] = [RGBColor(0x01, 0x02, 0x03), RGBColor(0x04, 0x05, 0x06)];
const MARKER_HEX: [&str; 2] = ["#010203", "#040506"];

/// One line of a chart: values in the axis unit, `None` where nothing was counted.
pub struct Line {
    pub label: &'static str,
    pub values: Vec<Option<f64>>,
}

/// What to draw: one x position per bucket (week start dates), up to two lines.
pub struct Chart {
    /// The accessible name and SVG `<title>`.
    pub title: String,
    /// The y axis label, with its unit.
    pub unit: &'static str,
    /// Short labels for the axis ("Mar 4").
    pub x_labels: Vec<String>,
    /// Long labels for point titles ("2024-03-04").
    pub x_titles: Vec<String>,
    pub lines: Vec<Line>,
    /// How a value reads in a point's title ("2.5 h").
    pub format: fn(f64) -> String,
}

struct Point {
    x: i32,
    y: i32,
    series: usize,
    title: String,
}

impl Chart {
    /// Whether any value exists: an empty chart is not drawn (no empty axes).
    pub fn has_data(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.values.iter().any(Option::is_some))
    }

    /// The SVG, or `None` when there is nothing to plot or drawing failed.
    pub fn to_svg(&self) -> Option<String> {
        if !self.has_data() || self.x_labels.is_empty() {
            return None;
        }
        let mut svg = String::new();
        let points = self.draw(&mut svg)?;
        Some(self.finish(svg, &points))
    }

    fn draw(&self, svg: &mut String) -> Option<Vec<Point>> {
        let n = self.x_labels.len();
        let max = self
            .lines
            .iter()
            .flat_map(|l| l.values.iter().flatten())
            .fold(0.0_f64, |a, b| a.max(*b));
        let y_max = if max > 0.0 { max * 1.15 } else { 1.0 };
        let x_range = -0.5..(n as f64 - 0.5);

        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(8)
            .margin_right(10)
            .x_label_area_size(40)
            .y_label_area_size(44)
            .build_cartesian_2d(x_range, 0.0..y_max)
            .ok()?;
        let labels = &self.x_labels;
        let x_fmt = |x: &f64| {
            let r = x.round();
            if (x - r).abs() < 1e-6 && r >= 0.0 {
                labels.get(r as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let y_fmt = |y: &f64| trim_number(*y);
        let grey = RGBColor(0x55, 0x5d, 0x6b);
        let text = ("sans-serif", 15).into_font().color(&grey);
        let desc = ("sans-serif", 14).into_font().color(&grey);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(3))
            .y_labels(4)
            .max_light_lines(0)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(strings::WEEK_STARTING)
            .y_desc(self.unit)
            .label_style(text.clone())
            .axis_desc_style(desc)
            .light_line_style(RGBColor(0xdd, 0xe1, 0xe6))
            .bold_line_style(RGBColor(0xdd, 0xe1, 0xe6))
            .axis_style(RGBColor(0x99, 0xa1, 0xad))
            .draw()
            .ok()?;

        let mut points = Vec::new();
        for (series, line) in self.lines.iter().enumerate().take(MARKERS.len()) {
            let style = MARKERS[series].stroke_width(2);
            // Contiguous runs: a week with nothing counted breaks the line.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for (i, v) in line.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        run.push((i as f64, *v));
                        let (x, y) = chart.backend_coord(&(i as f64, *v));
                        let when = self.x_titles.get(i).cloned().unwrap_or_default();
                        let value = (self.format)(*v);
                        let title = if self.lines.len() > 1 {
                            format!(
                                "{} {}: {}, {value}",
                                strings::WEEK_STARTING,
                                when,
                                line.label
                            )
                        } else {
                            format!("{} {}: {value}", strings::WEEK_STARTING, when)
                        };
                        points.push(Point {
                            x,
                            y,
                            series,
                            title,
                        });
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
        }
        root.present().ok()?;
        drop(chart);
        drop(root);
        Some(points)
    }

    /// Adds the accessible name, theme classes, and one titled dot per point.
    fn finish(&self, svg: String, points: &[Point]) -> String {
        let mut svg = svg;
        for (i, hex) in MARKER_HEX.iter().enumerate() {
            svg = svg.replace(
                &format!("stroke=\"{hex}\""),
                &format!("stroke=\"{hex}\" class=\"series-{i}\""),
            );
        }
        let title = escape(&self.title);
        let open = format!(
            "<svg role=\"img\" aria-label=\"{title}\" class=\"trend-chart\" preserveAspectRatio=\"xMidYMid meet\" "
        );
        svg = svg.replacen("<svg ", &open, 1);
        if let Some(end) = svg.find('>') {
            svg.insert_str(end + 1, &format!("<title>{title}</title>"));
        }
        let mut dots = String::new();
        for p in points {
            dots.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" class=\"dot series-{}\"><title>{}</title></circle>",
                p.x,
                p.y,
                p.series,
                escape(&p.title)
            ));
        }
        match svg.rfind("</svg>") {
            Some(at) => svg.insert_str(at, &dots),
            None => svg.push_str(&dots),
        }
        svg
    }
}

/// Axis numbers: short, no trailing zeros ("0.5", "12", "1.5k").
pub(crate) fn trim_number(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let k = format!("{:.1}", v / 1000.0);
        format!("{}k", k.trim_end_matches('0').trim_end_matches('.'))
    } else if v.abs() >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn escape(s: &str) -> String {
    nagare_core::text::html_escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: Vec<Option<f64>>) -> Chart {
        Chart {
            title: "Lead time per week (Hours)".into(),
            unit: strings::UNIT_HOURS,
            x_labels: (0..values.len()).map(|i| format!("W{i}")).collect(),
            x_titles: (0..values.len())
                .map(|i| format!("2024-03-{i:02}"))
                .collect(),
            lines: vec![Line {
                label: "Median",
                values,
            }],
            format: |v| format!("{v} h"),
        }
    }

    #[test]
    fn draws_titled_points_and_axis_labels() {
        let svg = chart(vec![Some(1.0), Some(2.5), None, Some(4.0)])
            .to_svg()
            .unwrap_or_default();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(svg.contains("<title>Lead time per week (Hours)</title>"));
        assert!(svg.contains("Week starting"));
        assert!(svg.contains("Hours"));
        assert_eq!(svg.matches("class=\"dot series-0\"").count(), 3);
        assert!(svg.contains("class=\"series-0\""));
        assert!(svg.contains("2.5 h"));
    }

    #[test]
    fn axis_numbers_are_short() {
        assert_eq!(trim_number(0.0), "0");
        assert_eq!(trim_number(0.5), "0.5");
        assert_eq!(trim_number(12.0), "12");
        assert_eq!(trim_number(1500.0), "1.5k");
        assert_eq!(trim_number(2000.0), "2k");
    }

    #[test]
    fn nothing_to_plot_draws_nothing() {
        assert!(chart(vec![None, None]).to_svg().is_none());
        assert!(chart(vec![]).to_svg().is_none());
    }
}
