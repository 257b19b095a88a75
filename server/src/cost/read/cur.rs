//! A CUR 2.0 row as a [`CostLine`].
//!
//! - **Billed**: `line_item_net_unblended_cost` when the file has it (and the row a value),
//!   else `line_item_unblended_cost`.
//! - **Effective** (amortised), by `line_item_line_item_type`, AWS's standard formula (the one
//!   the Cloud Intelligence Dashboards use):
//!   `SavingsPlanCoveredUsage` → `savings_plan_savings_plan_effective_cost`;
//!   `SavingsPlanRecurringFee` → `savings_plan_total_commitment_to_date` −
//!   `savings_plan_used_commitment` (the unused part of the commitment);
//!   `SavingsPlanNegation`, `SavingsPlanUpfrontFee` → 0 (the upfront payment is in the covered
//!   usage's effective cost);
//!   `DiscountedUsage` → `reservation_effective_cost`;
//!   `RIFee` → `reservation_unused_amortized_upfront_fee_for_billing_period` +
//!   `reservation_unused_recurring_fee`;
//!   `Fee` with a `reservation_reservation_a_r_n` (a reservation's upfront fee) → 0;
//!   anything else → billed. A file without the savings plan columns (or without the
//!   reservation ones) has no amortisation to apply: those rows' effective cost is billed, and
//!   so is a row whose amortisation cells are empty.
//! - **List**: `pricing_public_on_demand_cost`, else billed.
//! - **Charge category** from the line item type: see [`charge_category`].
//! - **Tags** from the `resource_tags` map (a Parquet MAP, or a JSON object in CSV). CUR writes
//!   the tag `user:team` as the key `user_team` and `aws:createdBy` as `aws_createdBy`: they
//!   are read back as `user:team` and `aws:createdBy`, the names FOCUS and the configuration
//!   (`cost.team_tags`) use.
//! - The service is `product_servicecode`, else `line_item_product_code`; the provider `AWS`;
//!   the service category is unknown (CUR has none).

use super::schema::CurCols;
use super::value::{cur_tag_key, Periods};
use super::{charge_period, opt_number, opt_time, req_number, set_text, Bad, Cells};
use crate::cost::CostLine;

/// FOCUS's charge category of a CUR line item type: usage (on demand, reserved, under a
/// savings plan) is `Usage`; `Tax`; credits, refunds, discounts and the savings plan negation
/// are `Credit`; fees and commitment purchases are `Purchase`; anything else `Adjustment`.
pub(super) fn charge_category(line_item_type: &str) -> &'static str {
    match line_item_type {
        "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage" => "Usage",
        "Tax" => "Tax",
        "Credit"
        | "Refund"
        | "BundledDiscount"
        | "Discount"
        | "SavingsPlanNegation"
        | "EdpDiscount"
        | "PrivateRateDiscount"
        | "DistributorDiscount" => "Credit",
        t if t.ends_with("Discount") => "Credit",
        "Fee" | "RIFee" | "SavingsPlanRecurringFee" | "SavingsPlanUpfrontFee" => "Purchase",
        _ => "Adjustment",
    }
}

pub(super) fn fill(
    c: &CurCols,
    cells: &impl Cells,
    periods: &mut Periods,
    line: &mut CostLine,
) -> Result<(), Bad> {
    (line.start_ms, line.end_ms) = charge_period(
        cells,
        (c.start, "line_item_usage_start_date"),
        (c.end, "line_item_usage_end_date"),
    )?;
    let unblended = req_number(cells, c.unblended, "line_item_unblended_cost")?;
    let billed = opt_number(cells, c.net_unblended)?.unwrap_or(unblended);
    let period_start = opt_time(cells, c.billing_start)?;
    if !periods.write(period_start, &mut line.billing_period) {
        return Err(Bad {
            col: c.billing_start,
            message: "no billing period: bill_billing_period_start_date is empty and the file's \
                      path names no BILLING_PERIOD=YYYY-MM"
                .into(),
        });
    }
    let kind = cells
        .text(c.line_item_type)
        .map_err(Bad::at(c.line_item_type))?
        .unwrap_or("");
    line.effective = effective(c, cells, kind, billed)?;
    line.charge_category.clear();
    line.charge_category.push_str(charge_category(kind));
    line.billed = billed;
    line.list = opt_number(cells, c.public_on_demand)?.unwrap_or(billed);
    line.provider.clear();
    line.provider.push_str("AWS");
    line.service_category.clear();
    line.correction = false;
    if !set_text(cells, c.service_code, &mut line.service_name)? {
        set_text(cells, c.product_code, &mut line.service_name)?;
    }
    set_text(cells, c.account_id, &mut line.account_id)?;
    set_text(cells, c.account_name, &mut line.account_name)?;
    set_text(cells, c.currency, &mut line.currency)?;
    set_text(cells, c.region, &mut line.region)?;
    set_text(cells, c.resource_id, &mut line.resource_id)?;
    line.tags.clear();
    if let Some(i) = c.tags {
        let tags = &mut line.tags;
        cells
            .entries(i, &mut |k, v| {
                tags.insert(cur_tag_key(k), v);
            })
            .map_err(Bad::at(i))?;
    }
    Ok(())
}

/// The amortised cost of a row of type `kind` (see the module's documentation).
fn effective(c: &CurCols, cells: &impl Cells, kind: &str, billed: f64) -> Result<f64, Bad> {
    let savings_plans = c.sp_effective.is_some();
    let reservations = c.ri_effective.is_some();
    let num = |col| opt_number(cells, col);
    Ok(match kind {
        "SavingsPlanCoveredUsage" if savings_plans => num(c.sp_effective)?.unwrap_or(billed),
        "SavingsPlanRecurringFee" if savings_plans => {
            match (num(c.sp_total_commitment)?, num(c.sp_used_commitment)?) {
                (Some(total), Some(used)) => total - used,
                _ => billed,
            }
        }
        "SavingsPlanNegation" | "SavingsPlanUpfrontFee" if savings_plans => 0.0,
        "DiscountedUsage" if reservations => num(c.ri_effective)?.unwrap_or(billed),
        "RIFee" if reservations => match (num(c.ri_unused_upfront)?, num(c.ri_unused_recurring)?) {
            (None, None) => billed,
            (upfront, recurring) => upfront.unwrap_or(0.0) + recurring.unwrap_or(0.0),
        },
        "Fee" if reservations => {
            let arn = match c.ri_arn {
                Some(i) => cells.text(i).map_err(Bad::at(i))?.is_some(),
                None => false,
            };
            if arn {
                0.0
            } else {
                billed
            }
        }
        _ => billed,
    })
}

#[cfg(test)]
mod tests {
    use super::charge_category;

    #[test]
    fn categories_of_line_item_types() {
        for (t, want) in [
            ("Usage", "Usage"),
            ("DiscountedUsage", "Usage"),
            ("SavingsPlanCoveredUsage", "Usage"),
            ("Tax", "Tax"),
            ("Credit", "Credit"),
            ("Refund", "Credit"),
            ("SavingsPlanNegation", "Credit"),
            ("EdpDiscount", "Credit"),
            ("RiVolumeDiscount", "Credit"),
            ("Fee", "Purchase"),
            ("RIFee", "Purchase"),
            ("SavingsPlanRecurringFee", "Purchase"),
            ("SavingsPlanUpfrontFee", "Purchase"),
            ("", "Adjustment"),
            ("SomethingNew", "Adjustment"),
        ] {
            assert_eq!(charge_category(t), want, "{t}");
        }
    }
}
