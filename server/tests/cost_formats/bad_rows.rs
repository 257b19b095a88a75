//! Bad rows are skipped and reported with file, row and column, up to `max_bad`; past it the
//! file is refused whole. Files that are not exports, empty or broken are refused with a
//! reason.

use super::support::{csv, gzip, parquet, read_lines};
use arrow_array::{ArrayRef, Float64Array, StringArray};
use nagare_server::cost::read::{read_file, REJECTED_ROWS_SHOWN};
use nagare_server::cost::Problem;
use std::sync::Arc;

const HEADER: [&str; 5] = [
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "BilledCost",
    "ServiceName",
];

fn row(start: &str, end: &str, period: &str, billed: &str) -> Vec<String> {
    [start, end, period, billed, "svc"]
        .map(String::from)
        .to_vec()
}

fn good() -> Vec<String> {
    row(
        "2024-09-01 00:00:00",
        "2024-09-01 01:00:00",
        "2024-09-01 00:00:00",
        "1.5",
    )
}

/// Six rows; the 2nd has a BilledCost that is not a number, the 5th ends before it starts.
fn two_bad() -> Vec<u8> {
    let rows = vec![
        good(),
        row(
            "2024-09-01 00:00:00",
            "2024-09-01 01:00:00",
            "2024-09-01 00:00:00",
            "12,50",
        ),
        good(),
        good(),
        row(
            "2024-09-01 05:00:00",
            "2024-09-01 04:00:00",
            "2024-09-01 00:00:00",
            "1",
        ),
        good(),
    ];
    csv(&HEADER, &rows)
}

fn where_(p: &[Problem]) -> Vec<(u64, &str)> {
    p.iter().map(|p| (p.row, p.column.as_str())).collect()
}

#[test]
fn bad_rows_are_skipped_up_to_max_bad_then_the_file_is_refused() {
    let (read, lines) = read_lines("export.csv", two_bad(), 5).unwrap();
    assert_eq!((read.rows, lines.len()), (4, 4));
    assert_eq!(
        where_(&read.skipped),
        [(2, "BilledCost"), (5, "ChargePeriodEnd")]
    );
    assert!(read.skipped.iter().all(|p| p.file == "export.csv"));
    assert!(read.skipped[0]
        .message
        .contains("\"12,50\" is not a number"));
    assert!(read.skipped[1].message.contains("ends before it starts"));
    assert_eq!(
        read.skipped[0].to_string(),
        "export.csv row 2 column BilledCost: \"12,50\" is not a number"
    );

    // max_bad 1: refused. The rows `each` saw before must be dropped by the caller.
    let mut seen = 0;
    let err = read_file("export.csv", two_bad().into(), 1, &mut |_| seen += 1).unwrap_err();
    assert_eq!(
        seen, 3,
        "rows 1, 3 and 4 were passed before the 5th refused the file"
    );
    assert_eq!(
        where_(&err.problems),
        [(0, ""), (2, "BilledCost"), (5, "ChargePeriodEnd")]
    );
    assert!(err.problems[0].message.contains("more than 1 bad rows"));
    assert!(err.problems[0].message.contains("nothing of it is stored"));
}

#[test]
fn nulls_long_periods_and_billing_periods() {
    let rows = vec![
        // 1: BilledCost NULL.
        row(
            "2024-09-01 00:00:00",
            "2024-09-01 01:00:00",
            "2024-09-01 00:00:00",
            "NULL",
        ),
        // 2: a charge period of 367 days.
        row(
            "2024-01-01 00:00:00",
            "2025-01-02 00:00:00",
            "2024-01-01 00:00:00",
            "1",
        ),
        // 3: no BillingPeriodStart: the path's BILLING_PERIOD, when it names one.
        row("2024-09-01 00:00:00", "2024-09-01 01:00:00", "NULL", "1"),
        // 4: a timestamp that is not one.
        row(
            "2024-09-31 00:00:00",
            "2024-10-01 01:00:00",
            "2024-09-01 00:00:00",
            "1",
        ),
        // 5: exactly 366 days (2024 is a leap year): a charge period still.
        row(
            "2024-01-01 00:00:00",
            "2025-01-01 00:00:00",
            "2024-01-01 00:00:00",
            "366",
        ),
    ];
    let data = csv(&HEADER, &rows);
    let (read, lines) = read_lines("loose.csv", data.clone(), 10).unwrap();
    assert_eq!(
        where_(&read.skipped),
        [
            (1, "BilledCost"),
            (2, "ChargePeriodEnd"),
            (3, "BillingPeriodStart"),
            (4, "ChargePeriodStart")
        ]
    );
    assert_eq!(lines.len(), 1);
    assert!(read.skipped[2].message.contains("BILLING_PERIOD=YYYY-MM"));
    let (read, lines) = read_lines("x/data/BILLING_PERIOD=2024-09/part-1.csv", data, 10).unwrap();
    assert_eq!(
        where_(&read.skipped),
        [
            (1, "BilledCost"),
            (2, "ChargePeriodEnd"),
            (4, "ChargePeriodStart")
        ]
    );
    assert_eq!(lines[0].billing_period, "2024-09");

    // A row with a field too few or too many: the row, no column.
    let mut short = csv(&HEADER, &[good()]);
    short.extend_from_slice(b"2024-09-01 00:00:00,2024-09-01 01:00:00,1\n");
    let (read, _) = read_lines("short.csv", short, 10).unwrap();
    assert_eq!(where_(&read.skipped), [(2, "")]);
    assert!(read.skipped[0]
        .message
        .contains("3 fields where the header has 5"));
}

#[test]
fn bad_parquet_rows_are_numbered_across_record_batches() {
    // 20 000 rows (three record batches of 8192); rows 9 000 and 20 000 have no start.
    let n = 20_000;
    let starts: Vec<Option<&str>> = (1..=n)
        .map(|i| (i != 9_000 && i != n).then_some("2024-09-01T00:00:00Z"))
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("ChargePeriodStart", Arc::new(StringArray::from(starts))),
        (
            "ChargePeriodEnd",
            Arc::new(StringArray::from(vec!["2024-09-01T01:00:00Z"; n])),
        ),
        (
            "BillingPeriodStart",
            Arc::new(StringArray::from(vec!["2024-09-01T00:00:00Z"; n])),
        ),
        ("BilledCost", Arc::new(Float64Array::from(vec![0.5; n]))),
    ];
    let (read, lines) = read_lines("p.parquet", parquet(columns), 2).unwrap();
    assert_eq!(
        where_(&read.skipped),
        [(9_000, "ChargePeriodStart"), (20_000, "ChargePeriodStart")]
    );
    assert!(read.skipped[0]
        .message
        .contains("empty; ChargePeriodStart must be a timestamp"));
    assert_eq!(lines.len(), n - 2);
}

#[test]
fn many_bad_rows_list_the_first_twenty() {
    let rows: Vec<Vec<String>> = (0..50).map(|_| row("x", "y", "z", "1")).collect();
    let err = read_lines("all-bad.csv", csv(&HEADER, &rows), 30).unwrap_err();
    assert_eq!(err.problems.len(), 1 + REJECTED_ROWS_SHOWN);
    assert_eq!(err.problems[0].row, 0);
    assert_eq!(err.problems[1].row, 1);
    assert_eq!(
        err.problems[REJECTED_ROWS_SHOWN].row,
        REJECTED_ROWS_SHOWN as u64
    );
}

#[test]
fn files_that_cannot_be_read_are_refused_with_a_reason() {
    // Neither FOCUS nor CUR: the message names the columns expected.
    let err = read_lines("other.csv", csv(&["date", "amount"], &[]), 10).unwrap_err();
    let msg = &err.problems[0].message;
    assert!(
        msg.contains("BilledCost, ChargePeriodStart, ChargePeriodEnd"),
        "{msg}"
    );
    assert!(msg.contains("line_item_usage_start_date"), "{msg}");
    // FOCUS without a required column.
    let err = read_lines("f.csv", csv(&["BilledCost", "ChargePeriodStart"], &[]), 10).unwrap_err();
    assert!(err.problems[0]
        .message
        .contains("without the column ChargePeriodEnd"));
    // A header only: no rows, no problem.
    let (read, lines) = read_lines("empty.csv", csv(&HEADER, &[]), 0).unwrap();
    assert_eq!(
        (read.format.as_str(), read.rows, lines.len()),
        ("focus-1.0", 0, 0)
    );
    // Nothing at all.
    let err = read_lines("zero.csv", Vec::new(), 0).unwrap_err();
    assert!(err.problems[0].message.contains("no header row"));
    // A gzip file cut short.
    let gz = gzip(&csv(&HEADER, &vec![good(); 2000]));
    let err = read_lines("cut.csv.gz", gz[..gz.len() / 2].to_vec(), 0).unwrap_err();
    assert!(
        err.problems[0].message.contains("truncated"),
        "{}",
        err.problems[0]
    );
    // A Parquet file cut short.
    let pq = parquet(vec![(
        "BilledCost",
        Arc::new(Float64Array::from(vec![1.0])) as ArrayRef,
    )]);
    let err = read_lines("cut.parquet", pq[..pq.len() - 10].to_vec(), 0).unwrap_err();
    assert!(err.problems[0]
        .message
        .contains("not a readable Parquet file"));
}
