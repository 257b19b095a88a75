//! The cost series as a stacked area: the costliest groups at the bottom, then "Other" (the
//! rest together), then "Unallocated" on top, so that what no group was found for is never
//! hidden among the others. Plotters draws the axes into an SVG string (as `crate::chart`
//! does); the areas are polygons added after, with CSS classes for their colours (so the theme
//! colours them), and each bucket gets an invisible full-height band whose `<title>` gives its
//! date, every layer's amount and the total, so hovering shows the exact numbers.

use super::{money, text};
use crate::chart::trim_number;
use nagare_core::api::{CostInterval, CostReport};
use nagare_core::cost::parse_day;
use nagare_core::text::html_escape as escape;
use plotters::prelude::*;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 300;
/// Groups drawn on their own; the rest are summed into "Other".
pub const TOP_GROUPS: usize = 8;

/// One stacked layer: a group, "Other" or "Unallocated", with its value per bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub label: String,
    /// `cost-s0` … `cost-s7`, `cost-other`, `cost-unallocated`.
    pub class: String,
    pub total: f64,
    pub values: Vec<f64>,
}

/// The layers of a report's series, bottom first: the [`TOP_GROUPS`] costliest allocated
/// groups (the API sends groups largest first), the others summed, and the unallocated group.
pub fn layers(r: &CostReport) -> Vec<Layer> {
    let Some(series) = &r.series else {
        return Vec::new();
    };
    let n = series.buckets.len();
    let column = |idx: &[usize]| -> Vec<f64> {
        series
            .buckets
            .iter()
            .map(|b| idx.iter().filter_map(|i| b.values.get(*i)).sum())
            .collect()
    };
    let allocated: Vec<usize> = (0..r.groups.len())
        .filter(|i| r.groups[*i].key.is_some())
        .collect();
    let mut out: Vec<Layer> = allocated
        .iter()
        .take(TOP_GROUPS)
        .enumerate()
        .map(|(k, i)| Layer {
            label: r.groups[*i].label.clone(),
            class: format!("cost-s{k}"),
            total: r.groups[*i].total,
            values: column(&[*i]),
        })
        .collect();
    let rest: Vec<usize> = allocated.iter().skip(TOP_GROUPS).copied().collect();
    if !rest.is_empty() {
        out.push(Layer {
            label: text::others(rest.len()),
            class: "cost-other".to_owned(),
            total: rest.iter().map(|i| r.groups[*i].total).sum(),
            values: column(&rest),
        });
    }
    let none: Vec<usize> = (0..r.groups.len())
        .filter(|i| r.groups[*i].key.is_none())
        .collect();
    if !none.is_empty() {
        out.push(Layer {
            label: text::UNALLOCATED.to_owned(),
            class: "cost-unallocated".to_owned(),
            total: none.iter().map(|i| r.groups[*i].total).sum(),
            values: column(&none),
        });
    }
    out.retain(|l| l.values.len() == n);
    out
}

/// What to draw.
pub struct StackedChart {
    /// The accessible name and SVG `<title>`.
    pub title: String,
    pub y_desc: String,
    pub x_desc: &'static str,
    /// Each bucket's first day, `YYYY-MM-DD`, and its days in the window.
    pub buckets: Vec<(String, u32)>,
    pub layers: Vec<Layer>,
    pub currency: String,
}

impl StackedChart {
    /// The chart of a report's series, up to the last day with stored cost: the days after it
    /// (the export's lag) would draw as a drop to zero that did not happen, and so would a
    /// last week or month not whole in the window or in the stored days. The CSV keeps them.
    pub fn new(r: &CostReport) -> Option<Self> {
        let series = r.series.as_ref()?;
        let mut shown = match &r.data_through {
            Some(last) => series
                .buckets
                .iter()
                .take_while(|b| b.start.as_str() <= last.as_str())
                .count()
                .max(1),
            None => series.buckets.len(),
        };
        let through = r.data_through.as_deref().and_then(parse_day);
        if let (Some(last), Some(through)) = (series.buckets.get(shown.wrapping_sub(1)), through) {
            let partial = match bucket_end(&last.start, series.interval) {
                Some(end) => {
                    let whole = parse_day(&last.start).map_or(0, |s| end - s);
                    i64::from(last.days) < i64::from(whole) || end > through + 1
                }
                None => false,
            };
            if partial && shown > 1 {
                shown -= 1;
            }
        }
        let mut layers = layers(r);
        for l in &mut layers {
            l.values.truncate(shown);
        }
        let cur = r.currency.clone().unwrap_or_default();
        let by = super::text::group_by_label(r.group_by).to_lowercase();
        let unit = if cur.is_empty() {
            text::COST_UNIT
        } else {
            &cur
        };
        Some(StackedChart {
            title: text::chart_title(&by, text::interval_word(series.interval), unit),
            y_desc: text::y_axis(unit),
            x_desc: text::x_axis(series.interval),
            buckets: series
                .buckets
                .iter()
                .take(shown)
                .map(|b| (b.start.clone(), b.days))
                .collect(),
            layers,
            currency: cur,
        })
    }

    /// The running sums per bucket, one row per layer boundary (the first all zeros).
    fn stacks(&self) -> Vec<Vec<f64>> {
        let n = self.buckets.len();
        let mut out = vec![vec![0.0; n]];
        for l in &self.layers {
            let prev = out.last().cloned().unwrap_or_default();
            out.push(prev.iter().zip(&l.values).map(|(a, b)| a + b).collect());
        }
        out
    }

    /// The SVG, or `None` when there is nothing to plot or drawing failed.
    pub fn to_svg(&self) -> Option<String> {
        let n = self.buckets.len();
        let any = self
            .layers
            .iter()
            .any(|l| l.values.iter().any(|v| *v != 0.0));
        if n == 0 || !any {
            return None;
        }
        let stacks = self.stacks();
        let (lo, hi) = stacks
            .iter()
            .flatten()
            .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let hi = if hi > lo {
            hi + (hi - lo) * 0.08
        } else {
            lo + 1.0
        };
        // A single bucket is drawn as a block around its one position.
        let (x0, x1) = if n == 1 {
            (-0.5, 0.5)
        } else {
            (0.0, (n - 1) as f64)
        };
        let mut svg = String::new();
        let shapes = self.draw(&mut svg, &stacks, (x0, x1), (lo, hi))?;
        Some(self.finish(svg, &shapes))
    }

    fn draw(
        &self,
        svg: &mut String,
        stacks: &[Vec<f64>],
        (x0, x1): (f64, f64),
        (lo, hi): (f64, f64),
    ) -> Option<String> {
        let n = self.buckets.len();
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(10)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, lo..hi)
            .ok()?;
        let labels: Vec<String> = self.buckets.iter().map(|(s, _)| axis_date(s)).collect();
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
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.clamp(2, 10))
            .y_labels(5)
            .max_light_lines(0)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc)
            .y_desc(self.y_desc.as_str())
            .label_style(("sans-serif", 15).into_font().color(&grey))
            .axis_desc_style(("sans-serif", 14).into_font().color(&grey))
            .bold_line_style(RGBColor(0xdd, 0xe1, 0xe6))
            .axis_style(RGBColor(0x99, 0xa1, 0xad))
            .draw()
            .ok()?;

        // The x of each bucket (a single one: both edges of its block).
        let xs: Vec<f64> = if n == 1 {
            vec![-0.4, 0.4]
        } else {
            (0..n).map(|i| i as f64).collect()
        };
        let at = |i: usize, row: &[f64]| row.get(i.min(n - 1)).copied().unwrap_or_default();
        let mut shapes = String::new();
        for (k, layer) in self.layers.iter().enumerate() {
            let (below, above) = (&stacks[k], &stacks[k + 1]);
            let mut points: Vec<String> = Vec::with_capacity(xs.len() * 2);
            for (i, x) in xs.iter().enumerate() {
                let (px, py) = chart.backend_coord(&(*x, at(i, above)));
                points.push(format!("{px},{py}"));
            }
            for (i, x) in xs.iter().enumerate().rev() {
                let (px, py) = chart.backend_coord(&(*x, at(i, below)));
                points.push(format!("{px},{py}"));
            }
            shapes.push_str(&format!(
                "<polygon class=\"cost-area {}\" data-test=\"cost-area\" points=\"{}\"/>",
                escape(&layer.class),
                points.join(" ")
            ));
        }
        // One hover band per bucket, between the midpoints to its neighbours.
        let (_, top) = chart.backend_coord(&(x0, hi));
        let (_, bottom) = chart.backend_coord(&(x0, lo));
        let (left, _) = chart.backend_coord(&(x0, lo));
        let (right, _) = chart.backend_coord(&(x1, lo));
        for (i, (start, days)) in self.buckets.iter().enumerate() {
            let edge = |x: f64| chart.backend_coord(&(x, lo)).0;
            let a = if i == 0 { left } else { edge(i as f64 - 0.5) };
            let b = if i + 1 == n {
                right
            } else {
                edge(i as f64 + 0.5)
            };
            let mut title = text::bucket_title(start, *days);
            for layer in self.layers.iter().rev() {
                let v = layer.values.get(i).copied().unwrap_or_default();
                title.push_str(&format!("\n{}: {}", layer.label, money(v, &self.currency)));
            }
            let total = stacks.last().map_or(0.0, |s| at(i, s));
            title.push_str(&format!(
                "\n{}",
                text::bucket_total(&money(total, &self.currency))
            ));
            shapes.push_str(&format!(
                "<rect class=\"cost-hit\" data-test=\"cost-bucket\" data-start=\"{}\" x=\"{a}\" y=\"{top}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                escape(start),
                (b - a).max(1),
                (bottom - top).max(1),
                escape(&title)
            ));
        }
        root.present().ok()?;
        Some(shapes)
    }

    /// The accessible name, then the areas and hover bands over the axes.
    fn finish(&self, svg: String, shapes: &str) -> String {
        let title = escape(&self.title);
        let open = format!(
            "<svg role=\"img\" aria-label=\"{title}\" class=\"cost-chart-svg\" preserveAspectRatio=\"xMidYMid meet\" "
        );
        let mut svg = svg.replacen("<svg ", &open, 1);
        if let Some(end) = svg.find('>') {
            svg.insert_str(end + 1, &format!("<title>{title}</title>"));
        }
        match svg.rfind("</svg>") {
            Some(at) => svg.insert_str(at, shapes),
            None => svg.push_str(shapes),
        }
        svg
    }
}

/// The day after a bucket's whole period (a week's next Monday, the next month's first day).
fn bucket_end(start: &str, interval: CostInterval) -> Option<i32> {
    let first = parse_day(start)?;
    match interval {
        CostInterval::Day => Some(first + 1),
        CostInterval::Week => Some(first + 7),
        CostInterval::Month => {
            let d = chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d").ok()?;
            let next = d.checked_add_months(chrono::Months::new(1))?;
            parse_day(&next.format("%Y-%m-%d").to_string())
        }
    }
}

/// "Sep 4" of `2024-09-04`; "Sep 2024" of a month's first day when buckets are months.
fn axis_date(day: &str) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| d.format("%b %-d").to_string())
        .unwrap_or_else(|_| day.to_owned())
}

/// The chart with its caption and legend, or why it is empty.
#[leptos::component]
pub fn CostChart(r: CostReport) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let chart = StackedChart::new(&r);
    let interval = r.series.as_ref().map(|s| s.interval);
    let svg = chart.as_ref().and_then(StackedChart::to_svg);
    let cur = r.currency.clone().unwrap_or_default();
    let by = text::group_by_label(r.group_by).to_lowercase();
    match (chart, svg) {
        (Some(chart), Some(svg)) => {
            let legend = chart
                .layers
                .iter()
                .rev()
                .map(|l| {
                    view! {
                        <li data-test="cost-legend-item">
                            <span class=format!("swatch swatch-area {}", l.class) aria-hidden="true"></span>
                            {l.label.clone()}
                            " · "
                            <span class="muted" title=l.total.to_string()>{money(l.total, &cur)}</span>
                        </li>
                    }
                })
                .collect_view();
            let word = interval.map_or("", text::interval_word);
            view! {
                <figure class="panel cost-chart" data-test="cost-chart" data-interval=interval.map(|i| i.as_str())>
                    <div class="cost-chart-svg-wrap" inner_html=svg></div>
                    <figcaption>
                        <span class="muted small">{text::chart_caption(&by, word)}</span>
                        <ul class="legend cost-legend">{legend}</ul>
                    </figcaption>
                </figure>
            }
            .into_any()
        }
        _ => view! { <p class="chart-empty" data-test="cost-chart-empty">{text::CHART_EMPTY}</p> }
            .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nagare_core::api::{
        CostBasis, CostBucket, CostGroupBy, CostGroupTotal, CostSeries, MonthToDate,
    };

    fn report(groups: usize, with_unallocated: bool) -> CostReport {
        let mut gs: Vec<CostGroupTotal> = (0..groups)
            .map(|i| CostGroupTotal {
                key: Some(format!("t{i}")),
                label: format!("team {i}"),
                total: 100.0 - i as f64,
                share: 0.0,
            })
            .collect();
        if with_unallocated {
            gs.push(CostGroupTotal {
                key: None,
                label: "Unallocated".into(),
                total: 7.0,
                share: 0.0,
            });
        }
        let width = gs.len();
        let buckets = (0..3)
            .map(|d| CostBucket {
                start: format!("2024-09-0{}", d + 1),
                days: 1,
                // Group g's value on day d: g + 1 + d.
                values: (0..width).map(|g| (g + 1 + d) as f64).collect(),
                total: 0.0,
            })
            .collect();
        CostReport {
            from: "2024-09-01".into(),
            to: "2024-09-04".into(),
            cost: CostBasis::Effective,
            group_by: CostGroupBy::Team,
            currency: Some("USD".into()),
            total: 0.0,
            unallocated: 0.0,
            groups: gs,
            series: Some(CostSeries {
                interval: CostInterval::Day,
                buckets,
            }),
            month: MonthToDate {
                month: "2024-09".into(),
                to_date: 0.0,
                through: None,
                run_rate: None,
                run_rate_days: 0,
                forecast: None,
                previous_month: 0.0,
                previous_to_same_day: 0.0,
            },
            data_through: Some("2024-09-03".into()),
            configured: true,
        }
    }

    #[test]
    fn the_top_eight_stay_the_rest_is_other_and_unallocated_goes_on_top() {
        let ls = layers(&report(10, true));
        let labels: Vec<&str> = ls.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels.len(), 10);
        assert_eq!(labels[0], "team 0");
        assert_eq!(labels[7], "team 7");
        assert_eq!(labels[8], "Other (2 groups)");
        assert_eq!(labels[9], "Unallocated");
        // Other = groups 8 and 9: on day 0, 9 + 10; its total 92 + 91.
        assert_eq!(ls[8].values, vec![19.0, 21.0, 23.0]);
        assert_eq!(ls[8].total, 183.0);
        // The unallocated group is the 11th column: 11, 12, 13.
        assert_eq!(ls[9].values, vec![11.0, 12.0, 13.0]);
        assert_eq!(ls[9].class, "cost-unallocated");
        // Few groups: no "Other".
        assert_eq!(layers(&report(2, false)).len(), 2);
    }

    #[test]
    fn draws_one_area_per_layer_and_a_titled_band_per_bucket() {
        let chart = StackedChart::new(&report(3, true)).unwrap();
        let svg = chart.to_svg().unwrap_or_default();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(svg.contains("<title>Daily cost by team, stacked (USD)</title>"));
        assert!(svg.contains("Cost (USD)"));
        assert_eq!(svg.matches("data-test=\"cost-area\"").count(), 4);
        assert_eq!(svg.matches("data-test=\"cost-bucket\"").count(), 3);
        // 2024-09-02 (d = 1): groups 2, 3, 4 and unallocated 5, top first; total 14.
        assert!(
            svg.contains("2024-09-02\nUnallocated: 5.00 USD\nteam 2: 4.00 USD\nteam 1: 3.00 USD\nteam 0: 2.00 USD\nTotal: 14.00 USD"),
            "{svg}"
        );
        assert_eq!(text::interval_word(CostInterval::Week), "Weekly");
    }

    #[test]
    fn nothing_to_plot_draws_nothing() {
        let mut r = report(2, false);
        for b in r.series.iter_mut().flat_map(|s| s.buckets.iter_mut()) {
            b.values = vec![0.0, 0.0];
        }
        assert!(StackedChart::new(&r).and_then(|c| c.to_svg()).is_none());
        r.series = None;
        assert!(StackedChart::new(&r).is_none());
    }

    #[test]
    fn days_after_the_last_stored_one_are_not_drawn() {
        let mut r = report(2, false);
        r.data_through = Some("2024-09-02".into());
        let chart = StackedChart::new(&r).unwrap();
        assert_eq!(chart.buckets.len(), 2);
        assert!(chart.layers.iter().all(|l| l.values.len() == 2));
        let svg = chart.to_svg().unwrap_or_default();
        assert_eq!(svg.matches("data-test=\"cost-bucket\"").count(), 2);
    }

    #[test]
    fn a_last_week_not_whole_is_left_out() {
        let mut r = report(2, false);
        if let Some(s) = r.series.as_mut() {
            s.interval = CostInterval::Week;
            s.buckets[0].start = "2024-08-26".into();
            s.buckets[0].days = 7;
            s.buckets[1].start = "2024-09-02".into();
            s.buckets[1].days = 7;
            s.buckets[2].start = "2024-09-09".into();
            s.buckets[2].days = 2;
        }
        r.data_through = Some("2024-09-10".into());
        assert_eq!(StackedChart::new(&r).unwrap().buckets.len(), 2);
        // Whole in the window, but stored only through its Wednesday: left out too.
        if let Some(s) = r.series.as_mut() {
            s.buckets[2].days = 7;
        }
        r.data_through = Some("2024-09-11".into());
        assert_eq!(StackedChart::new(&r).unwrap().buckets.len(), 2);
        r.data_through = Some("2024-09-15".into());
        assert_eq!(StackedChart::new(&r).unwrap().buckets.len(), 3);
        assert_eq!(
            bucket_end("2024-02-01", CostInterval::Month),
            parse_day("2024-03-01")
        );
    }

    #[test]
    fn one_bucket_is_drawn_as_a_block() {
        let mut r = report(2, false);
        if let Some(s) = r.series.as_mut() {
            s.buckets.truncate(1);
        }
        let svg = StackedChart::new(&r)
            .and_then(|c| c.to_svg())
            .unwrap_or_default();
        assert_eq!(svg.matches("data-test=\"cost-area\"").count(), 2);
        assert_eq!(axis_date("2024-09-04"), "Sep 4");
    }
}
