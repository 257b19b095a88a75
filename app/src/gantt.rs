//! A run's job timeline: plotters draws the axes (minutes across, one row per job) into an
//! SVG string, and each job's bars are added as `<rect>`s classed by stage category, so that
//! their colours follow the light or dark theme, each with a `<title>` that hovering shows.
//! A job's queue time (created to started) is a lighter bar before its run.

use plotters::prelude::*;

const WIDTH: u32 = 720;
const ROW: u32 = 26;
/// The categories with a colour of their own (docs/sources/github.md's stage categories).
pub const CATEGORIES: [&str; 9] = [
    "lint",
    "test",
    "build",
    "security_scan",
    "e2e",
    "load_test",
    "deploy",
    "provision",
    "other",
];

/// One job: its times in minutes from the timeline's origin.
pub struct Bar {
    pub label: String,
    pub category: String,
    pub queued: Option<f64>,
    pub started: Option<f64>,
    pub finished: Option<f64>,
    /// What hovering its bar says.
    pub title: String,
}

pub struct Gantt {
    /// The accessible name and SVG `<title>`.
    pub title: String,
    /// The x axis label, with its unit.
    pub axis: &'static str,
    pub bars: Vec<Bar>,
}

/// A category's CSS class: its own, or `other`.
fn class_of(category: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|c| **c == category)
        .copied()
        .unwrap_or("other")
}

/// The width left of the bars for the job names.
const LABELS: u32 = 160;

struct Label {
    x: i32,
    y: i32,
    text: String,
}

struct Rect {
    x0: i32,
    x1: i32,
    y0: i32,
    y1: i32,
    class: String,
    title: String,
}

impl Gantt {
    /// The SVG, or `None` when no job has a start (nothing to draw) or drawing failed.
    pub fn to_svg(&self) -> Option<String> {
        let n = self.bars.len();
        let end = self
            .bars
            .iter()
            .flat_map(|b| [b.queued, b.started, b.finished])
            .flatten()
            .fold(0.0_f64, f64::max);
        if n == 0 || !self.bars.iter().any(|b| b.started.is_some()) {
            return None;
        }
        let x_max = if end > 0.0 { end * 1.04 } else { 1.0 };
        let height = 56 + ROW * n as u32;
        let mut svg = String::new();
        let (rects, labels) = self.draw(&mut svg, x_max, height)?;
        Some(self.finish(svg, &rects, &labels))
    }

    fn draw(&self, svg: &mut String, x_max: f64, height: u32) -> Option<(Vec<Rect>, Vec<Label>)> {
        let n = self.bars.len();
        let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(6)
            .margin_right(14)
            .x_label_area_size(36)
            .y_label_area_size(LABELS)
            .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
            .ok()?;
        let grey = RGBColor(0x55, 0x5d, 0x6b);
        let text = ("sans-serif", 15).into_font().color(&grey);
        let desc = ("sans-serif", 14).into_font().color(&grey);
        let x_fmt = |x: &f64| trim(*x);
        // The job names are written beside their rows below, not as axis labels.
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(6)
            .y_labels(0)
            .max_light_lines(0)
            .x_label_formatter(&x_fmt)
            .x_desc(self.axis)
            .label_style(text)
            .axis_desc_style(desc)
            .bold_line_style(RGBColor(0xdd, 0xe1, 0xe6))
            .axis_style(RGBColor(0x99, 0xa1, 0xad))
            .draw()
            .ok()?;
        let mut rects = Vec::new();
        let mut labels = Vec::new();
        for (i, b) in self.bars.iter().enumerate() {
            // The first job at the top: its row spans n − i − 1 to n − i.
            let row = (n - i) as f64;
            let (left, top) = chart.backend_coord(&(0.0, row));
            let (_, bottom) = chart.backend_coord(&(0.0, row - 1.0));
            let pad = ((bottom - top) / 5).max(2);
            let (y0, y1) = (top.min(bottom) + pad, top.max(bottom) - pad);
            labels.push(Label {
                x: left - 8,
                y: (y0 + y1) / 2,
                text: short(&b.label, 22),
            });
            let x = |v: f64| chart.backend_coord(&(v, row)).0;
            if let (Some(q), Some(s)) = (b.queued, b.started) {
                if s > q {
                    rects.push(Rect {
                        x0: x(q),
                        x1: x(s),
                        y0,
                        y1,
                        class: "queue".into(),
                        title: b.title.clone(),
                    });
                }
            }
            if let Some(s) = b.started {
                // A job still running reaches the end of the axis.
                let f = b.finished.unwrap_or(x_max).max(s);
                rects.push(Rect {
                    x0: x(s),
                    x1: x(f).max(x(s) + 2),
                    y0,
                    y1,
                    class: format!("cat-{}", class_of(&b.category)),
                    title: b.title.clone(),
                });
            }
        }
        root.present().ok()?;
        drop(chart);
        drop(root);
        Some((rects, labels))
    }

    fn finish(&self, svg: String, rects: &[Rect], labels: &[Label]) -> String {
        let mut svg = svg;
        let title = escape(&self.title);
        let open = format!(
            "<svg role=\"img\" aria-label=\"{title}\" class=\"gantt-svg\" preserveAspectRatio=\"xMinYMin meet\" "
        );
        svg = svg.replacen("<svg ", &open, 1);
        if let Some(end) = svg.find('>') {
            svg.insert_str(end + 1, &format!("<title>{title}</title>"));
        }
        let mut bars = String::new();
        for r in rects {
            bars.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" class=\"bar {}\"><title>{}</title></rect>",
                r.x0,
                r.y0,
                (r.x1 - r.x0).max(1),
                (r.y1 - r.y0).max(1),
                r.class,
                escape(&r.title)
            ));
        }
        for l in labels {
            bars.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\" class=\"gantt-label\">{}</text>",
                l.x,
                l.y,
                escape(&l.text)
            ));
        }
        match svg.rfind("</svg>") {
            Some(at) => svg.insert_str(at, &bars),
            None => svg.push_str(&bars),
        }
        svg
    }
}

/// The legend of the categories the bars use, and the queue, as HTML.
pub fn legend_html(bars: &[Bar], queue: &str, label: fn(&str) -> &str) -> String {
    let mut cats: Vec<&'static str> = bars.iter().map(|b| class_of(&b.category)).collect();
    cats.sort_by_key(|c| CATEGORIES.iter().position(|x| x == c));
    cats.dedup();
    let mut h = String::from("<ul class=\"legend\">");
    for c in cats {
        h.push_str(&format!(
            "<li><span class=\"swatch cat-{c}\" aria-hidden=\"true\"></span>{}</li>",
            escape(label(c))
        ));
    }
    h.push_str(&format!(
        "<li><span class=\"swatch queue\" aria-hidden=\"true\"></span>{}</li></ul>",
        escape(queue)
    ));
    h
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

use crate::chart::trim_number as trim;
use nagare_core::text::html_escape as escape;

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, category: &str, q: Option<f64>, s: Option<f64>, f: Option<f64>) -> Bar {
        Bar {
            label: label.into(),
            category: category.into(),
            queued: q,
            started: s,
            finished: f,
            title: format!("{label} <job>"),
        }
    }

    #[test]
    fn each_job_gets_a_bar_its_queue_a_lighter_one_and_titles_are_escaped() {
        let g = Gantt {
            title: "Jobs of \"ci\"".into(),
            axis: "minutes",
            bars: vec![
                bar("lint", "lint", Some(0.0), Some(1.0), Some(3.0)),
                bar("test", "test", Some(0.0), Some(2.0), Some(9.0)),
                bar("weird", "fuzzing", None, Some(4.0), None),
            ],
        };
        let svg = g.to_svg().unwrap();
        assert!(
            svg.contains("aria-label=\"Jobs of &quot;ci&quot;\""),
            "{svg}"
        );
        assert_eq!(svg.matches("class=\"bar queue\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("class=\"bar cat-lint\"").count(), 1);
        assert_eq!(svg.matches("class=\"bar cat-test\"").count(), 1);
        // An unknown category is drawn as `other`; a job still running reaches the axis end.
        assert_eq!(svg.matches("class=\"bar cat-other\"").count(), 1);
        assert!(svg.contains("<title>test &lt;job&gt;</title>"), "{svg}");
        assert!(!svg.contains("<job>"));
        assert!(svg.contains("class=\"gantt-label\">lint</text>"), "{svg}");
        // Rows: the first job above the second.
        let y = |class: &str| -> i32 {
            let at = svg.find(&format!("class=\"bar {class}\"")).unwrap();
            let head = &svg[..at];
            let y = head.rfind("y=\"").unwrap();
            head[y + 3..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(y("cat-lint") < y("cat-test"));
        let legend = legend_html(&g.bars, "queue", |c| c);
        assert!(legend.find("cat-lint").unwrap() < legend.find("cat-test").unwrap());
        assert!(legend.contains("swatch queue"));
    }

    #[test]
    fn nothing_started_draws_nothing() {
        let g = Gantt {
            title: "t".into(),
            axis: "minutes",
            bars: vec![bar("a", "test", Some(0.0), None, None)],
        };
        assert!(g.to_svg().is_none());
        assert!(Gantt {
            title: "t".into(),
            axis: "m",
            bars: Vec::new()
        }
        .to_svg()
        .is_none());
    }
}
