//! A synthetic "FOCUS 1.2 with AWS columns" export: the 57 FOCUS 1.2 columns and AWS's three
//! `x_` columns, hourly charge periods across September 2024, about 200 services, 20
//! accounts, some 32 000 resources, `user:team` / `user:service` tags on about 80 % of rows.
//! Written as Parquet (snappy; `Tags` and `x_Discounts` as MAP columns, timestamps as
//! microsecond timestamps in UTC; row groups of up to 1 Mi rows and 128 MiB, as Spark-written
//! exports have) and as CSV.gz (times as `YYYY-MM-DD HH:MM:SS`, maps as JSON). Deterministic:
//! the same rows every run.

use anyhow::Context as _;
use arrow_array::builder::{
    Float64Builder, MapBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

/// 2024-09-01T00:00:00Z.
const SEPTEMBER: i64 = 1_725_148_800_000;
const HOUR: i64 = 3_600_000;
const HOURS: u64 = 30 * 24;
const SERVICES: u64 = 200;
const ACCOUNTS: u64 = 20;
const CHUNK: usize = 65_536;
const REGIONS: [&str; 6] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "sa-east-1",
];
const CATEGORIES: [&str; 8] = [
    "Compute",
    "Storage",
    "Databases",
    "Networking",
    "Analytics",
    "Integration",
    "Management and Governance",
    "Security",
];

/// SplitMix64: a small deterministic generator, so every run benchmarks the same rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What one row is made of; every column is derived from it.
pub(crate) struct Row {
    hour: u64,
    service: u64,
    account: u64,
    region: &'static str,
    resource: u64,
    tagged: bool,
    category: &'static str,
    billed: f64,
    effective: f64,
    quantity: f64,
    discount: Option<f64>,
}

fn sample(rng: &mut Rng) -> Row {
    let service = rng.below(SERVICES);
    let account = rng.below(ACCOUNTS);
    let billed = {
        let u = rng.unit();
        (u * u * 5.0 * 1e6).round() / 1e6
    };
    let category = match rng.below(100) {
        0 => "Tax",
        1 => "Credit",
        2 => "Purchase",
        _ => "Usage",
    };
    let billed = if category == "Credit" {
        -billed
    } else {
        billed
    };
    Row {
        hour: rng.below(HOURS),
        service,
        account,
        region: REGIONS[(service % REGIONS.len() as u64) as usize],
        // A resource appears every hour, as in a real export: up to 8 per (service, account),
        // some 32 000 in all.
        resource: (service * ACCOUNTS + account) * 8 + rng.below(8),
        // Tagged or not is the resource's: about 80 % of them are.
        tagged: (service * ACCOUNTS + account) % 10 < 8,
        category,
        billed,
        effective: (billed * (0.7 + 0.3 * rng.unit()) * 1e6).round() / 1e6,
        quantity: 1.0,
        discount: (rng.below(20) == 0).then(|| -((billed * 0.05 * 1e6).round() / 1e6)),
    }
}

/// How a column is made.
enum Kind {
    /// Text written into the buffer; `false`: null.
    Text(fn(&Row, &mut String) -> bool),
    Num(fn(&Row) -> Option<f64>),
    Time(fn(&Row) -> i64),
    /// `Tags`: a map of strings.
    Tags,
    /// `x_Discounts`: a map of numbers.
    Discounts,
}

fn put(b: &mut String, s: &str) -> bool {
    b.push_str(s);
    true
}
fn account_id(r: &Row) -> u64 {
    100_000_000_000 + r.account * 7_919
}

/// The columns, in AWS's order (alphabetical, `x_` last).
fn columns() -> Vec<(&'static str, Kind)> {
    use Kind::*;
    vec![
        (
            "AvailabilityZone",
            Text(|r, b| {
                let _ = write!(b, "{}a", r.region);
                true
            }),
        ),
        ("BilledCost", Num(|r| Some(r.billed))),
        ("BillingAccountId", Text(|_, b| put(b, "999999999999"))),
        ("BillingAccountName", Text(|_, b| put(b, "Example Corp"))),
        ("BillingAccountType", Text(|_, b| put(b, "Billing Account"))),
        ("BillingCurrency", Text(|_, b| put(b, "USD"))),
        ("BillingPeriodEnd", Time(|_| SEPTEMBER + 30 * 24 * HOUR)),
        ("BillingPeriodStart", Time(|_| SEPTEMBER)),
        ("CapacityReservationId", Text(|_, _| false)),
        ("CapacityReservationStatus", Text(|_, _| false)),
        ("ChargeCategory", Text(|r, b| put(b, r.category))),
        ("ChargeClass", Text(|_, _| false)),
        (
            "ChargeDescription",
            Text(|r, b| {
                let _ = write!(
                    b,
                    "$0.0{} per unit-hour of service {} in {}",
                    r.service % 97,
                    r.service,
                    r.region
                );
                true
            }),
        ),
        ("ChargeFrequency", Text(|_, b| put(b, "Usage-Based"))),
        (
            "ChargePeriodEnd",
            Time(|r| SEPTEMBER + (r.hour as i64 + 1) * HOUR),
        ),
        (
            "ChargePeriodStart",
            Time(|r| SEPTEMBER + r.hour as i64 * HOUR),
        ),
        ("CommitmentDiscountCategory", Text(|_, _| false)),
        ("CommitmentDiscountId", Text(|_, _| false)),
        ("CommitmentDiscountName", Text(|_, _| false)),
        ("CommitmentDiscountQuantity", Num(|_| None)),
        ("CommitmentDiscountStatus", Text(|_, _| false)),
        ("CommitmentDiscountType", Text(|_, _| false)),
        ("CommitmentDiscountUnit", Text(|_, _| false)),
        ("ConsumedQuantity", Num(|r| Some(r.quantity))),
        ("ConsumedUnit", Text(|_, b| put(b, "Hrs"))),
        ("ContractedCost", Num(|r| Some(r.billed))),
        ("ContractedUnitPrice", Num(|r| Some(r.billed))),
        ("EffectiveCost", Num(|r| Some(r.effective))),
        ("InvoiceId", Text(|_, _| false)),
        (
            "InvoiceIssuerName",
            Text(|_, b| put(b, "Amazon Web Services, Inc.")),
        ),
        ("ListCost", Num(|r| Some(r.billed * 1.25))),
        ("ListUnitPrice", Num(|r| Some(r.billed * 1.25))),
        ("PricingCategory", Text(|_, b| put(b, "Standard"))),
        ("PricingCurrency", Text(|_, b| put(b, "USD"))),
        (
            "PricingCurrencyContractedUnitPrice",
            Num(|r| Some(r.billed)),
        ),
        ("PricingCurrencyEffectiveCost", Num(|r| Some(r.effective))),
        (
            "PricingCurrencyListUnitPrice",
            Num(|r| Some(r.billed * 1.25)),
        ),
        ("PricingQuantity", Num(|r| Some(r.quantity))),
        ("PricingUnit", Text(|_, b| put(b, "Hrs"))),
        ("ProviderName", Text(|_, b| put(b, "AWS"))),
        (
            "PublisherName",
            Text(|_, b| put(b, "Amazon Web Services, Inc.")),
        ),
        ("RegionId", Text(|r, b| put(b, r.region))),
        ("RegionName", Text(|r, b| put(b, r.region))),
        (
            "ResourceId",
            Text(|r, b| {
                let _ = write!(
                    b,
                    "arn:aws:svc{}:{}:{}:resource/r-{:012x}",
                    r.service,
                    r.region,
                    account_id(r),
                    r.resource
                );
                true
            }),
        ),
        ("ResourceName", Text(|_, _| false)),
        ("ResourceType", Text(|_, b| put(b, "Instance"))),
        (
            "ServiceCategory",
            Text(|r, b| {
                put(
                    b,
                    CATEGORIES[(r.service % CATEGORIES.len() as u64) as usize],
                )
            }),
        ),
        (
            "ServiceName",
            Text(|r, b| {
                let _ = write!(b, "Amazon Service {:03}", r.service);
                true
            }),
        ),
        ("ServiceSubcategory", Text(|_, b| put(b, "Other"))),
        (
            "SkuId",
            Text(|r, b| {
                let _ = write!(b, "SKU{:08}", r.service * 31);
                true
            }),
        ),
        ("SkuMeter", Text(|_, b| put(b, "BoxUsage"))),
        ("SkuPriceDetails", Text(|_, _| false)),
        (
            "SkuPriceId",
            Text(|r, b| {
                let _ = write!(b, "SKU{:08}.JRTCKXETXF", r.service * 31);
                true
            }),
        ),
        (
            "SubAccountId",
            Text(|r, b| {
                let _ = write!(b, "{}", account_id(r));
                true
            }),
        ),
        (
            "SubAccountName",
            Text(|r, b| {
                let _ = write!(b, "account-{:02}", r.account);
                true
            }),
        ),
        ("SubAccountType", Text(|_, b| put(b, "AWS Account"))),
        ("Tags", Tags),
        ("x_Discounts", Discounts),
        ("x_Operation", Text(|_, b| put(b, "RunInstances"))),
        (
            "x_ServiceCode",
            Text(|r, b| {
                let _ = write!(b, "AmazonSvc{:03}", r.service);
                true
            }),
        ),
    ]
}

/// The tags of a row: `user:team` and `user:service` when tagged, and an `env` tag always.
fn tags(r: &Row, mut f: impl FnMut(&str, &str)) {
    f(
        "env",
        if r.account.is_multiple_of(4) {
            "dev"
        } else {
            "prod"
        },
    );
    if r.tagged {
        f("user:team", &format!("team-{:02}", r.service % 25));
        f("user:service", &format!("svc-{:03}", r.service));
    }
}

fn batch(rows: &[Row], cols: &[(&'static str, Kind)]) -> anyhow::Result<RecordBatch> {
    let mut arrays: Vec<(&str, ArrayRef)> = Vec::with_capacity(cols.len());
    let mut buf = String::new();
    for (name, kind) in cols {
        let array: ArrayRef = match kind {
            Kind::Text(f) => {
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
                for r in rows {
                    buf.clear();
                    if f(r, &mut buf) {
                        b.append_value(&buf);
                    } else {
                        b.append_null();
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Num(f) => Arc::new(rows.iter().map(f).collect::<arrow_array::Float64Array>()),
            Kind::Time(f) => {
                let mut b = TimestampMicrosecondBuilder::with_capacity(rows.len());
                for r in rows {
                    b.append_value(f(r) * 1000);
                }
                Arc::new(b.finish().with_timezone("UTC"))
            }
            Kind::Tags => {
                let mut b = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
                for r in rows {
                    tags(r, |k, v| {
                        b.keys().append_value(k);
                        b.values().append_value(v);
                    });
                    b.append(true)?;
                }
                Arc::new(b.finish())
            }
            Kind::Discounts => {
                let mut b = MapBuilder::new(None, StringBuilder::new(), Float64Builder::new());
                for r in rows {
                    if let Some(d) = r.discount {
                        b.keys().append_value("SppDiscount");
                        b.values().append_value(d);
                    }
                    b.append(r.discount.is_some())?;
                }
                Arc::new(b.finish())
            }
        };
        arrays.push((name, array));
    }
    Ok(RecordBatch::try_from_iter(arrays)?)
}

fn csv_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn csv_rows(
    w: &mut csv::Writer<impl std::io::Write>,
    rows: &[Row],
    cols: &[(&'static str, Kind)],
) -> anyhow::Result<()> {
    let mut buf = String::new();
    for r in rows {
        for (_, kind) in cols {
            buf.clear();
            let _ = match kind {
                Kind::Text(f) => f(r, &mut buf),
                Kind::Num(f) => f(r).map(|v| write!(buf, "{v}")).is_some(),
                Kind::Time(f) => put(&mut buf, &csv_time(f(r))),
                Kind::Tags => {
                    let mut m = serde_json::Map::new();
                    tags(r, |k, v| {
                        m.insert(k.to_owned(), v.into());
                    });
                    put(&mut buf, &serde_json::Value::Object(m).to_string())
                }
                Kind::Discounts => r
                    .discount
                    .map(|d| {
                        put(
                            &mut buf,
                            &serde_json::json!({ "SppDiscount": d }).to_string(),
                        )
                    })
                    .is_some(),
            };
            w.write_field(&buf)?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}

/// Writes `n` rows as `parquet` and as `csv_gz`.
pub(crate) fn write(n: usize, parquet: &Path, csv_gz: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0, "--rows must be at least 1");
    let cols = columns();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_max_row_group_bytes(Some(128 << 20))
        .build();
    let pq_file = std::fs::File::create(parquet)
        .with_context(|| format!("creating {}", parquet.display()))?;
    let gz_file =
        std::fs::File::create(csv_gz).with_context(|| format!("creating {}", csv_gz.display()))?;
    let gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(gz_file),
        flate2::Compression::default(),
    );
    let mut csv = csv::Writer::from_writer(gz);
    csv.write_record(cols.iter().map(|(n, _)| *n))?;
    let mut rng = Rng(0x6e61_6761_7265);
    let mut writer: Option<ArrowWriter<std::fs::File>> = None;
    let mut pq_file = Some(pq_file);
    let mut done = 0;
    while done < n {
        let rows: Vec<Row> = (0..CHUNK.min(n - done)).map(|_| sample(&mut rng)).collect();
        done += rows.len();
        let b = batch(&rows, &cols)?;
        if writer.is_none() {
            // The map columns' types come from their builders: the schema is the first batch's.
            let file = pq_file
                .take()
                .context("the Parquet file was already used")?;
            writer = Some(ArrowWriter::try_new(file, b.schema(), Some(props.clone()))?);
        }
        if let Some(w) = writer.as_mut() {
            w.write(&b)?;
        }
        csv_rows(&mut csv, &rows, &cols)?;
    }
    if let Some(w) = writer {
        w.close()?;
    }
    let gz = csv
        .into_inner()
        .map_err(|e| anyhow::anyhow!("finishing the CSV: {e}"))?;
    gz.finish()?.flush()?;
    Ok(())
}
