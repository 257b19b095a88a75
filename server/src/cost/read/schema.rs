//! Which export a file is, from its column names (never their positions), and where each
//! column Nagare reads sits in it. Names are matched without regard to ASCII case, since
//! Athena and Glue write them in lower case (`billedcost`).
//!
//! FOCUS versions are told by the columns each added (FOCUS_Spec's changelog and column
//! definitions): 1.1 added `CapacityReservationId`, `CapacityReservationStatus`,
//! `CommitmentDiscountQuantity`, `CommitmentDiscountUnit`, `ServiceSubcategory`, `SkuMeter`,
//! `SkuPriceDetails`; 1.2 added `BillingAccountType`, `SubAccountType`, `InvoiceId`,
//! `PricingCurrency` and its three `PricingCurrency…` prices; 1.3 added `ServiceProviderName`
//! and `HostProviderName` (replacing the deprecated `ProviderName`), the split cost
//! allocation columns (`AllocatedMethodId`, `AllocatedMethodDetails`, `AllocatedResourceId`,
//! `AllocatedResourceName`, `AllocatedTags`) and `ContractApplied`. AWS's "FOCUS 1.2 with AWS
//! columns" is FOCUS 1.2 with `x_` columns (`x_Discounts`, `x_Operation`, `x_ServiceCode`; its
//! FOCUS 1.0 table also had `x_CostCategories` and `x_UsageType`): every `x_` column is read.

use std::collections::HashMap;

const FOCUS_1_1: &[&str] = &[
    "CapacityReservationId",
    "CapacityReservationStatus",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit",
    "ServiceSubcategory",
    "SkuMeter",
    "SkuPriceDetails",
];
const FOCUS_1_2: &[&str] = &[
    "BillingAccountType",
    "SubAccountType",
    "InvoiceId",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
];
const FOCUS_1_3: &[&str] = &[
    "ServiceProviderName",
    "HostProviderName",
    "AllocatedMethodId",
    "AllocatedMethodDetails",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
    "ContractApplied",
];

/// The columns a FOCUS file must have for Nagare to read it.
pub(super) const FOCUS_REQUIRED: &[&str] = &["BilledCost", "ChargePeriodStart", "ChargePeriodEnd"];
/// The columns a CUR 2.0 file must have for Nagare to read it.
pub(super) const CUR_REQUIRED: &[&str] = &[
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_unblended_cost",
    "line_item_line_item_type",
];

/// Where FOCUS's columns are (indices into the file's columns); `None`: not in the file.
#[derive(Debug, Clone)]
pub(super) struct FocusCols {
    pub billed: usize,
    pub effective: Option<usize>,
    pub list: Option<usize>,
    pub start: usize,
    pub end: usize,
    pub billing_start: Option<usize>,
    pub currency: Option<usize>,
    pub provider: Option<usize>,
    pub service_provider: Option<usize>,
    pub service_name: Option<usize>,
    pub service_category: Option<usize>,
    pub sub_account_id: Option<usize>,
    pub sub_account_name: Option<usize>,
    pub billing_account_id: Option<usize>,
    pub billing_account_name: Option<usize>,
    pub charge_category: Option<usize>,
    pub charge_class: Option<usize>,
    pub resource_id: Option<usize>,
    pub region: Option<usize>,
    pub tags: Option<usize>,
    /// The `x_` columns (index, name), each read into the row's tags under its name.
    pub extras: Vec<(usize, String)>,
}

/// Where CUR 2.0's columns are.
#[derive(Debug, Clone)]
pub(super) struct CurCols {
    pub start: usize,
    pub end: usize,
    pub unblended: usize,
    pub line_item_type: usize,
    pub billing_start: Option<usize>,
    pub net_unblended: Option<usize>,
    pub sp_effective: Option<usize>,
    pub sp_total_commitment: Option<usize>,
    pub sp_used_commitment: Option<usize>,
    pub ri_effective: Option<usize>,
    pub ri_unused_upfront: Option<usize>,
    pub ri_unused_recurring: Option<usize>,
    pub ri_arn: Option<usize>,
    pub public_on_demand: Option<usize>,
    pub service_code: Option<usize>,
    pub product_code: Option<usize>,
    pub account_id: Option<usize>,
    pub account_name: Option<usize>,
    pub currency: Option<usize>,
    pub region: Option<usize>,
    pub resource_id: Option<usize>,
    pub tags: Option<usize>,
}

/// What a file is.
#[derive(Debug, Clone)]
pub(super) enum Format {
    Focus {
        version: &'static str,
        cols: FocusCols,
    },
    Cur(CurCols),
}

impl Format {
    /// `focus-1.0` … `focus-1.3`, `cur-2.0`.
    pub(super) fn name(&self) -> String {
        match self {
            Format::Focus { version, .. } => format!("focus-{version}"),
            Format::Cur(_) => "cur-2.0".into(),
        }
    }

    /// Every column read, in no order: what a Parquet reader projects.
    pub(super) fn used(&self) -> Vec<usize> {
        let mut v: Vec<usize> = match self {
            Format::Focus { cols: c, .. } => [c.billed, c.start, c.end]
                .into_iter()
                .chain(
                    [
                        c.effective,
                        c.list,
                        c.billing_start,
                        c.currency,
                        c.provider,
                        c.service_provider,
                        c.service_name,
                        c.service_category,
                        c.sub_account_id,
                        c.sub_account_name,
                        c.billing_account_id,
                        c.billing_account_name,
                        c.charge_category,
                        c.charge_class,
                        c.resource_id,
                        c.region,
                        c.tags,
                    ]
                    .into_iter()
                    .flatten(),
                )
                .chain(c.extras.iter().map(|(i, _)| *i))
                .collect(),
            Format::Cur(c) => [c.start, c.end, c.unblended, c.line_item_type]
                .into_iter()
                .chain(
                    [
                        c.billing_start,
                        c.net_unblended,
                        c.sp_effective,
                        c.sp_total_commitment,
                        c.sp_used_commitment,
                        c.ri_effective,
                        c.ri_unused_upfront,
                        c.ri_unused_recurring,
                        c.ri_arn,
                        c.public_on_demand,
                        c.service_code,
                        c.product_code,
                        c.account_id,
                        c.account_name,
                        c.currency,
                        c.region,
                        c.resource_id,
                        c.tags,
                    ]
                    .into_iter()
                    .flatten(),
                )
                .collect(),
        };
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// The file's columns by lower-cased name (the first of a repeated name wins).
struct Names(HashMap<String, usize>);

impl Names {
    fn new(names: &[String]) -> Names {
        let mut map = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            map.entry(n.to_ascii_lowercase()).or_insert(i);
        }
        Names(map)
    }
    fn get(&self, name: &str) -> Option<usize> {
        self.0.get(&name.to_ascii_lowercase()).copied()
    }
    fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.get(n).is_some())
    }
    fn required(&self, format: &str, names: &[&str]) -> Result<Vec<usize>, String> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.get(n).is_none())
            .collect();
        if missing.is_empty() {
            Ok(names.iter().filter_map(|n| self.get(n)).collect())
        } else {
            Err(format!(
                "a {format} file without the column{} {}: the export is incomplete or not \
                 {format}; export it again with all of {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                names.join(", ")
            ))
        }
    }
}

/// What a file with these column names is. `keep_extra(i)` says whether the `x_` column `i`
/// can be read as text (a Parquet reader leaves out lists and structs).
pub(super) fn detect(
    names: &[String],
    keep_extra: &dyn Fn(usize) -> bool,
) -> Result<Format, String> {
    let n = Names::new(names);
    if n.any(&["BilledCost", "ChargePeriodStart", "EffectiveCost"]) {
        let req = n.required("FOCUS", FOCUS_REQUIRED)?;
        let version = if n.any(FOCUS_1_3) {
            "1.3"
        } else if n.any(FOCUS_1_2) {
            "1.2"
        } else if n.any(FOCUS_1_1) {
            "1.1"
        } else {
            "1.0"
        };
        let extras = names
            .iter()
            .enumerate()
            .filter(|(i, name)| name.starts_with("x_") && keep_extra(*i))
            .map(|(i, name)| (i, name.clone()))
            .collect();
        let cols = FocusCols {
            billed: req[0],
            start: req[1],
            end: req[2],
            effective: n.get("EffectiveCost"),
            list: n.get("ListCost"),
            billing_start: n.get("BillingPeriodStart"),
            currency: n.get("BillingCurrency"),
            provider: n.get("ProviderName"),
            service_provider: n.get("ServiceProviderName"),
            service_name: n.get("ServiceName"),
            service_category: n.get("ServiceCategory"),
            sub_account_id: n.get("SubAccountId"),
            sub_account_name: n.get("SubAccountName"),
            billing_account_id: n.get("BillingAccountId"),
            billing_account_name: n.get("BillingAccountName"),
            charge_category: n.get("ChargeCategory"),
            charge_class: n.get("ChargeClass"),
            resource_id: n.get("ResourceId"),
            region: n.get("RegionId"),
            tags: n.get("Tags"),
            extras,
        };
        return Ok(Format::Focus { version, cols });
    }
    if n.any(&["line_item_usage_start_date", "line_item_unblended_cost"]) {
        let req = n.required("CUR 2.0", CUR_REQUIRED)?;
        return Ok(Format::Cur(CurCols {
            start: req[0],
            end: req[1],
            unblended: req[2],
            line_item_type: req[3],
            billing_start: n.get("bill_billing_period_start_date"),
            net_unblended: n.get("line_item_net_unblended_cost"),
            sp_effective: n.get("savings_plan_savings_plan_effective_cost"),
            sp_total_commitment: n.get("savings_plan_total_commitment_to_date"),
            sp_used_commitment: n.get("savings_plan_used_commitment"),
            ri_effective: n.get("reservation_effective_cost"),
            ri_unused_upfront: n.get("reservation_unused_amortized_upfront_fee_for_billing_period"),
            ri_unused_recurring: n.get("reservation_unused_recurring_fee"),
            ri_arn: n.get("reservation_reservation_a_r_n"),
            public_on_demand: n.get("pricing_public_on_demand_cost"),
            service_code: n.get("product_servicecode"),
            product_code: n.get("line_item_product_code"),
            account_id: n.get("line_item_usage_account_id"),
            account_name: n.get("line_item_usage_account_name"),
            currency: n.get("line_item_currency_code"),
            region: n.get("product_region_code"),
            resource_id: n.get("line_item_resource_id"),
            tags: n.get("resource_tags"),
        }));
    }
    let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
    Err(format!(
        "neither a FOCUS nor a CUR 2.0 export: a FOCUS file has the columns {} (and \
         BillingPeriodStart, EffectiveCost, ListCost, ServiceName, SubAccountId, Tags…), a \
         CUR 2.0 file has {}; this file's columns begin {}{}. Export FOCUS 1.0–1.3 or CUR 2.0 \
         (Parquet, CSV or CSV.gz) with their standard column names",
        FOCUS_REQUIRED.join(", "),
        CUR_REQUIRED.join(", "),
        if shown.is_empty() {
            "(none)".to_owned()
        } else {
            shown.join(", ")
        },
        if names.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        s.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn versions_from_the_columns_each_added() {
        let base = "BilledCost,ChargePeriodStart,ChargePeriodEnd,ProviderName";
        let version = |extra: &str| match detect(&names(&format!("{base}{extra}")), &|_| true) {
            Ok(f) => f.name(),
            Err(e) => e,
        };
        assert_eq!(version(""), "focus-1.0");
        assert_eq!(version(",SkuMeter"), "focus-1.1");
        assert_eq!(version(",SkuMeter,InvoiceId,x_ServiceCode"), "focus-1.2");
        assert_eq!(version(",ServiceProviderName"), "focus-1.3");
        // Lower-cased names (Athena) read the same.
        let lower = names("billedcost,chargeperiodstart,chargeperiodend,x_UsageType");
        let Ok(Format::Focus { cols, .. }) = detect(&lower, &|_| true) else {
            panic!("lower-case FOCUS names not read");
        };
        assert_eq!(
            (cols.billed, cols.end, cols.extras),
            (0, 2, vec![(3, "x_UsageType".to_owned())])
        );
    }

    #[test]
    fn incomplete_or_unknown_files_say_what_is_expected() {
        let e = detect(&names("BilledCost,ChargePeriodStart"), &|_| true).err();
        assert!(e.is_some_and(|e| e.contains("without the column ChargePeriodEnd")));
        let e = detect(&names("line_item_usage_start_date,foo"), &|_| true).err();
        let want = "without the columns line_item_usage_end_date, line_item_unblended_cost, \
                    line_item_line_item_type";
        assert!(e.is_some_and(|e| e.contains(want)));
        let e = detect(&names("date,amount"), &|_| true).err();
        assert!(e.is_some_and(|e| e.contains("BilledCost")
            && e.contains("line_item_unblended_cost")
            && e.contains("begin date, amount")));
    }
}
