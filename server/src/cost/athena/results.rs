//! Reading the query's results: Athena gives every value as text (`VarCharValue`, absent for
//! NULL), the first row of the first page being the column names. Each is parsed to its type
//! here, an error naming the row and column.

use super::sql;
use super::{AthenaError, AthenaRow};
use std::collections::BTreeMap;

/// Checks the header row names the query's columns, in order.
pub(super) fn check_header(
    id: &str,
    header: &[Option<&str>],
    tags: usize,
) -> Result<(), AthenaError> {
    let expected = sql::columns(tags);
    let got: Vec<&str> = header.iter().map(|v| v.unwrap_or("")).collect();
    let same = got.len() == expected.len()
        && got
            .iter()
            .zip(&expected)
            .all(|(g, e)| g.eq_ignore_ascii_case(e));
    if same {
        Ok(())
    } else {
        Err(AthenaError::Results {
            id: id.to_owned(),
            detail: format!(
                "the header row is [{}], expected [{}]",
                got.join(", "),
                expected.join(", ")
            ),
        })
    }
}

/// One data row (`row`: 1-based, the header not counted) as an [`AthenaRow`]; `tags` are the
/// configured tag keys, in the order of the query's tag columns.
pub(super) fn parse_row(
    id: &str,
    row: u64,
    values: &[Option<&str>],
    tags: &[String],
) -> Result<AthenaRow, AthenaError> {
    let names = sql::columns(tags.len());
    if values.len() != names.len() {
        return Err(AthenaError::Results {
            id: id.to_owned(),
            detail: format!(
                "row {row} has {} values, the query {} columns",
                values.len(),
                names.len()
            ),
        });
    }
    let bad = |column: usize, value: Option<&str>, expected: &str| AthenaError::Value {
        id: id.to_owned(),
        row,
        column: names[column].clone(),
        value: value.map_or_else(|| "NULL".to_owned(), str::to_owned),
        expected: expected.to_owned(),
    };
    let text = |i: usize| values[i].unwrap_or("").to_owned();
    let day = values[0]
        .and_then(nagare_core::cost::parse_day)
        .ok_or_else(|| bad(0, values[0], "a date (YYYY-MM-DD)"))?;
    let billing_period = match values[1] {
        Some(p) if sql::valid_period(p) => p.to_owned(),
        other => return Err(bad(1, other, "a billing period (YYYY-MM)")),
    };
    let first_tag = sql::LEADING.len();
    let mut tag_values = BTreeMap::new();
    for (i, key) in tags.iter().enumerate() {
        if let Some(v) = values[first_tag + i].filter(|v| !v.trim().is_empty()) {
            tag_values.insert(key.clone(), v.to_owned());
        }
    }
    let amount = |i: usize| -> Result<f64, AthenaError> {
        values[i]
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .ok_or_else(|| bad(i, values[i], "a finite number"))
    };
    let at = first_tag + tags.len();
    let rows = values[at + 3]
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| bad(at + 3, values[at + 3], "a count (a whole number ≥ 0)"))?;
    Ok(AthenaRow {
        day,
        billing_period,
        provider: text(2),
        account_id: text(3),
        account_name: text(4),
        service_name: text(5),
        service_category: text(6),
        charge_category: text(7),
        currency: text(8),
        tags: tag_values,
        billed: amount(at)?,
        effective: amount(at + 1)?,
        list: amount(at + 2)?,
        rows,
    })
}
