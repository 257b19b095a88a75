//! A FOCUS row (1.0–1.3) as a [`CostLine`].
//!
//! - Costs: `BilledCost` (required), `EffectiveCost` and `ListCost`; a null one of the latter
//!   two (FOCUS requires them, some generators leave them empty) is the billed cost: the cost
//!   as billed is the best figure the row gives.
//! - The provider: 1.3's `ServiceProviderName`, else `ProviderName` (deprecated in 1.3).
//! - The account: `SubAccountId`/`SubAccountName`; a row without a sub-account (FOCUS allows
//!   one for charges at the billing account) is the billing account's.
//! - `ChargeClass` `Correction` marks a correction; `Tags` (a JSON object, or a Parquet map)
//!   and every non-null `x_` column go into the tags, the latter under their column names.
//! - The billing period is `BillingPeriodStart`'s month, else the path's
//!   `BILLING_PERIOD=YYYY-MM`; without either the row is bad.

use super::schema::FocusCols;
use super::value::Periods;
use super::{charge_period, opt_number, opt_time, req_number, set_text, Bad, Cells};
use crate::cost::CostLine;

pub(super) fn fill(
    c: &FocusCols,
    cells: &impl Cells,
    periods: &mut Periods,
    line: &mut CostLine,
) -> Result<(), Bad> {
    (line.start_ms, line.end_ms) = charge_period(
        cells,
        (c.start, "ChargePeriodStart"),
        (c.end, "ChargePeriodEnd"),
    )?;
    line.billed = req_number(cells, c.billed, "BilledCost")?;
    line.effective = opt_number(cells, c.effective)?.unwrap_or(line.billed);
    line.list = opt_number(cells, c.list)?.unwrap_or(line.billed);
    let period_start = opt_time(cells, c.billing_start)?;
    if !periods.write(period_start, &mut line.billing_period) {
        return Err(Bad {
            col: c.billing_start,
            message: "no billing period: BillingPeriodStart is empty and the file's path names \
                      no BILLING_PERIOD=YYYY-MM"
                .into(),
        });
    }
    if !set_text(cells, c.service_provider, &mut line.provider)? {
        set_text(cells, c.provider, &mut line.provider)?;
    }
    if set_text(cells, c.sub_account_id, &mut line.account_id)? {
        set_text(cells, c.sub_account_name, &mut line.account_name)?;
    } else {
        set_text(cells, c.billing_account_id, &mut line.account_id)?;
        set_text(cells, c.billing_account_name, &mut line.account_name)?;
    }
    set_text(cells, c.service_name, &mut line.service_name)?;
    set_text(cells, c.service_category, &mut line.service_category)?;
    set_text(cells, c.charge_category, &mut line.charge_category)?;
    set_text(cells, c.region, &mut line.region)?;
    set_text(cells, c.resource_id, &mut line.resource_id)?;
    set_text(cells, c.currency, &mut line.currency)?;
    line.correction = match c.charge_class {
        Some(i) => cells.text(i).map_err(Bad::at(i))? == Some("Correction"),
        None => false,
    };
    line.tags.clear();
    if let Some(i) = c.tags {
        let tags = &mut line.tags;
        cells
            .entries(i, &mut |k, v| {
                tags.insert(k, v);
            })
            .map_err(Bad::at(i))?;
    }
    let mut text = String::new();
    for (i, name) in &c.extras {
        if cells.tag_text(*i, &mut text).map_err(Bad::at(*i))? {
            line.tags.insert(name.clone(), std::mem::take(&mut text));
        }
    }
    Ok(())
}
