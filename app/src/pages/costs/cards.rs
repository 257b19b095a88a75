//! The cost cards: the window's total, the month to date, the month-end forecast, last month,
//! and the unallocated share. Each value carries its currency, its exact number in `data-raw`
//! and `title`, and a definition behind an ⓘ.

use super::{change_percent, code_text, money, opt_money, text};
use crate::format;
use leptos::prelude::*;
use nagare_core::api::CostReport;
use nagare_core::cost::{day_text, parse_day};

/// The day before a `YYYY-MM-DD` day (the last day of a window whose end is `day`).
pub fn day_before(day: &str) -> String {
    parse_day(day).map_or_else(|| day.to_owned(), |d| day_text(d - 1))
}

/// The month before `YYYY-MM`.
fn month_before(month: &str) -> String {
    parse_day(&format!("{month}-01"))
        .map(|d| day_text(d - 1).chars().take(7).collect())
        .unwrap_or_default()
}

/// A change against an earlier amount: an arrow and a percentage, red when cost went up.
fn delta(now: f64, before: f64, against: String) -> impl IntoView {
    let (class, words) = match change_percent(now, before) {
        Some(p) if p > 0.0 => ("delta delta-bad", text::delta_up(&format!("{p:.1}%"))),
        Some(p) if p < 0.0 => ("delta delta-good", text::delta_down(&format!("{:.1}%", -p))),
        Some(_) => ("delta delta-none", "±0.0%".to_owned()),
        None => ("delta delta-none", "—".to_owned()),
    };
    view! {
        <p class=class data-test="delta">
            <strong>{words}</strong>
            " "
            {against}
        </p>
    }
}

/// One card: a title, the value with its exact number, lines under it, and its definition.
fn card(
    key: &'static str,
    title: &'static str,
    value: String,
    raw: Option<f64>,
    below: AnyView,
    definition: Vec<String>,
) -> impl IntoView {
    let title_id = format!("cost-card-{key}-title");
    let labelled_by = title_id.clone();
    let exact = raw.map(|v| v.to_string());
    view! {
        <section class="card" data-test=format!("cost-card-{key}") aria-labelledby=labelled_by>
            <header class="card-head">
                <h2 id=title_id>{title}</h2>
            </header>
            <p class="value" class:value-none=raw.is_none() data-test="value" data-raw=format::raw(raw) title=exact>
                {value}
            </p>
            {below}
            <details class="definition">
                <summary>
                    <span class="info-icon" aria-hidden="true">"i"</span>
                    {text::DEFINITION}
                </summary>
                {definition.into_iter().map(|d| view! { <p>{code_text(&d)}</p> }).collect_view()}
            </details>
        </section>
    }
}

#[component]
pub fn Cards(r: CostReport) -> impl IntoView {
    let cur = r.currency.clone().unwrap_or_default();
    let m = r.month.clone();
    let through = day_before(&r.to);
    let days = match (parse_day(&r.from), parse_day(&r.to)) {
        (Some(f), Some(t)) => i64::from(t - f),
        _ => 0,
    };
    let basis = text::basis_label(r.cost);
    let basis_def = text::basis_definition(r.cost).to_owned();

    let total_lines = view! {
        <ul class="secondary">
            <li data-test="cost-window">{text::window_days(&r.from, &through, days)}</li>
            <li>{text::basis_line(basis)}</li>
            {r.data_through.clone().map(|d| view! { <li data-test="data-through">{text::data_through(&d)}</li> })}
        </ul>
    }
    .into_any();

    let month_label = match &m.through {
        Some(d) => text::month_through(&m.month, d),
        None => text::month_no_data(&m.month),
    };
    let month_lines = view! {
        {delta(m.to_date, m.previous_to_same_day, text::vs_last_month_same_day(&money(m.previous_to_same_day, &cur)))}
        <ul class="secondary"><li>{month_label}</li></ul>
    }
    .into_any();

    let forecast_lines = match (m.forecast, m.run_rate) {
        (Some(f), Some(rate)) => view! {
            {delta(f, m.previous_month, text::vs_last_month(&money(m.previous_month, &cur)))}
            <ul class="secondary">
                <li data-test="run-rate" data-raw=rate.to_string()>{text::run_rate(&money(rate, &cur), m.run_rate_days)}</li>
            </ul>
        }
        .into_any(),
        _ => view! { <ul class="secondary"><li>{text::NO_FORECAST}</li></ul> }.into_any(),
    };

    let last_lines = view! {
        <ul class="secondary">
            <li>{month_before(&m.month)}</li>
            <li data-raw=m.previous_to_same_day.to_string()>{text::last_month_same_day(&money(m.previous_to_same_day, &cur))}</li>
        </ul>
    }
    .into_any();

    let share = (r.total != 0.0).then(|| r.unallocated / r.total);
    let unallocated_lines = view! {
        <ul class="secondary">
            <li data-test="unallocated-amount" data-raw=r.unallocated.to_string()>
                {text::unallocated_of(&money(r.unallocated, &cur), text::unallocated_what(r.group_by))}
            </li>
        </ul>
        <p class="small muted cost-hint">{code_text(text::UNALLOCATED_HINT)}</p>
    }
    .into_any();

    view! {
        <div class="cards cost-cards">
            {card("total", text::CARD_TOTAL, money(r.total, &cur), Some(r.total), total_lines, vec![text::DEF_TOTAL.to_owned(), basis_def.clone()])}
            {card("month", text::CARD_MONTH, money(m.to_date, &cur), Some(m.to_date), month_lines, vec![text::DEF_MONTH.to_owned(), basis_def])}
            {card("forecast", text::CARD_FORECAST, opt_money(m.forecast, &cur), m.forecast, forecast_lines, vec![text::DEF_FORECAST.to_owned()])}
            {card("last-month", text::CARD_LAST_MONTH, money(m.previous_month, &cur), Some(m.previous_month), last_lines, vec![text::DEF_LAST_MONTH.to_owned()])}
            {card("unallocated", text::CARD_UNALLOCATED, format::opt_percent(share), share, unallocated_lines, vec![text::DEF_UNALLOCATED.to_owned(), text::COST_DOCS.to_owned()])}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_ends_read_as_their_last_day() {
        assert_eq!(day_before("2024-10-01"), "2024-09-30");
        assert_eq!(day_before("2024-03-01"), "2024-02-29");
        assert_eq!(month_before("2024-01"), "2023-12");
        assert_eq!(month_before("2024-09"), "2024-08");
    }
}
