//! Arrow columns read as [`Cells`]: each column's type is looked at once per record batch
//! ([`Col::new`]), then cells are read by index without allocating. What the Parquet exports
//! hold: strings (plain, large, view or dictionary), numbers (double, float, integers,
//! decimals), timestamps of any unit and zone (read as the instant they are), dates, booleans,
//! and maps (CUR 2.0's `resource_tags`, AWS FOCUS's `Tags` and `x_Discounts`).

use super::value::{is_null_text, json_entries, parse_number, parse_time_cell};
use super::Cells;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal32Type, Decimal64Type, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, BooleanArray, MapArray, PrimitiveArray, StringViewArray};
use arrow_array::{DictionaryArray, GenericStringArray};
use arrow_schema::{DataType, TimeUnit};
use nagare_core::time::DAY_MS;
use std::fmt::Write as _;

/// A number column, as `f64`.
pub(super) enum Num<'a> {
    F64(&'a PrimitiveArray<Float64Type>),
    F32(&'a PrimitiveArray<Float32Type>),
    I64(&'a PrimitiveArray<Int64Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    I16(&'a PrimitiveArray<Int16Type>),
    U64(&'a PrimitiveArray<UInt64Type>),
    U32(&'a PrimitiveArray<UInt32Type>),
    /// Decimals, with 10^scale.
    D32(&'a PrimitiveArray<Decimal32Type>, f64),
    D64(&'a PrimitiveArray<Decimal64Type>, f64),
    D128(&'a PrimitiveArray<Decimal128Type>, f64),
}

impl Num<'_> {
    fn get(&self, i: usize) -> f64 {
        match self {
            Num::F64(a) => a.value(i),
            Num::F32(a) => f64::from(a.value(i)),
            Num::I64(a) => a.value(i) as f64,
            Num::I32(a) => f64::from(a.value(i)),
            Num::I16(a) => f64::from(a.value(i)),
            Num::U64(a) => a.value(i) as f64,
            Num::U32(a) => f64::from(a.value(i)),
            Num::D32(a, p) => f64::from(a.value(i)) / p,
            Num::D64(a, p) => a.value(i) as f64 / p,
            Num::D128(a, p) => a.value(i) as f64 / p,
        }
    }
}

/// An instant column, as epoch milliseconds.
pub(super) enum Time<'a> {
    S(&'a PrimitiveArray<TimestampSecondType>),
    Ms(&'a PrimitiveArray<TimestampMillisecondType>),
    Us(&'a PrimitiveArray<TimestampMicrosecondType>),
    Ns(&'a PrimitiveArray<TimestampNanosecondType>),
    Date32(&'a PrimitiveArray<Date32Type>),
    Date64(&'a PrimitiveArray<Date64Type>),
}

impl Time<'_> {
    fn get(&self, i: usize) -> i64 {
        match self {
            Time::S(a) => a.value(i).saturating_mul(1000),
            Time::Ms(a) => a.value(i),
            Time::Us(a) => a.value(i).div_euclid(1000),
            Time::Ns(a) => a.value(i).div_euclid(1_000_000),
            Time::Date32(a) => i64::from(a.value(i)) * DAY_MS,
            Time::Date64(a) => a.value(i),
        }
    }
}

/// One column of a record batch, by what it holds.
pub(super) enum Col<'a> {
    /// Every cell null (an all-null column written without a type).
    Null,
    Str(&'a GenericStringArray<i32>),
    LargeStr(&'a GenericStringArray<i64>),
    View(&'a StringViewArray),
    /// Dictionary-encoded: the keys, and the column of values.
    Dict(&'a DictionaryArray<Int32Type>, Box<Col<'a>>),
    Num(Num<'a>),
    Time(Time<'a>),
    Bool(&'a BooleanArray),
    Map(&'a MapArray, Box<Col<'a>>, Box<Col<'a>>),
    /// A type Nagare does not read (lists, structs, binary…): an error where a value is needed.
    Other(&'a DataType),
}

/// Whether an array of this type can be read as text (what an `x_` column must be).
pub(super) fn readable(t: &DataType) -> bool {
    let probe = arrow_array::new_empty_array(t);
    !matches!(Col::new(probe.as_ref()), Col::Other(_))
}

impl<'a> Col<'a> {
    pub(super) fn new(a: &'a dyn Array) -> Col<'a> {
        let t = a.data_type();
        let col = match t {
            DataType::Null => Some(Col::Null),
            DataType::Utf8 => a.as_string_opt::<i32>().map(Col::Str),
            DataType::LargeUtf8 => a.as_string_opt::<i64>().map(Col::LargeStr),
            DataType::Utf8View => a.as_string_view_opt().map(Col::View),
            DataType::Dictionary(k, _) if **k == DataType::Int32 => a
                .as_dictionary_opt::<Int32Type>()
                .map(|d| Col::Dict(d, Box::new(Col::new(d.values().as_ref())))),
            DataType::Boolean => a.as_boolean_opt().map(Col::Bool),
            DataType::Float64 => a.as_primitive_opt().map(|a| Col::Num(Num::F64(a))),
            DataType::Float32 => a.as_primitive_opt().map(|a| Col::Num(Num::F32(a))),
            DataType::Int64 => a.as_primitive_opt().map(|a| Col::Num(Num::I64(a))),
            DataType::Int32 => a.as_primitive_opt().map(|a| Col::Num(Num::I32(a))),
            DataType::Int16 => a.as_primitive_opt().map(|a| Col::Num(Num::I16(a))),
            DataType::UInt64 => a.as_primitive_opt().map(|a| Col::Num(Num::U64(a))),
            DataType::UInt32 => a.as_primitive_opt().map(|a| Col::Num(Num::U32(a))),
            DataType::Decimal32(_, s) => a
                .as_primitive_opt()
                .map(|a| Col::Num(Num::D32(a, 10f64.powi(i32::from(*s))))),
            DataType::Decimal64(_, s) => a
                .as_primitive_opt()
                .map(|a| Col::Num(Num::D64(a, 10f64.powi(i32::from(*s))))),
            DataType::Decimal128(_, s) => a
                .as_primitive_opt()
                .map(|a| Col::Num(Num::D128(a, 10f64.powi(i32::from(*s))))),
            DataType::Timestamp(unit, _) => match unit {
                TimeUnit::Second => a.as_primitive_opt().map(|a| Col::Time(Time::S(a))),
                TimeUnit::Millisecond => a.as_primitive_opt().map(|a| Col::Time(Time::Ms(a))),
                TimeUnit::Microsecond => a.as_primitive_opt().map(|a| Col::Time(Time::Us(a))),
                TimeUnit::Nanosecond => a.as_primitive_opt().map(|a| Col::Time(Time::Ns(a))),
            },
            DataType::Date32 => a.as_primitive_opt().map(|a| Col::Time(Time::Date32(a))),
            DataType::Date64 => a.as_primitive_opt().map(|a| Col::Time(Time::Date64(a))),
            DataType::Map(_, _) => a.as_map_opt().map(|m| {
                Col::Map(
                    m,
                    Box::new(Col::new(m.keys().as_ref())),
                    Box::new(Col::new(m.values().as_ref())),
                )
            }),
            _ => None,
        };
        col.unwrap_or(Col::Other(t))
    }

    fn is_null(&self, i: usize) -> bool {
        match self {
            Col::Null => true,
            Col::Str(a) => a.is_null(i),
            Col::LargeStr(a) => a.is_null(i),
            Col::View(a) => a.is_null(i),
            Col::Dict(d, _) => d.is_null(i),
            Col::Num(n) => match n {
                Num::F64(a) => a.is_null(i),
                Num::F32(a) => a.is_null(i),
                Num::I64(a) => a.is_null(i),
                Num::I32(a) => a.is_null(i),
                Num::I16(a) => a.is_null(i),
                Num::U64(a) => a.is_null(i),
                Num::U32(a) => a.is_null(i),
                Num::D32(a, _) => a.is_null(i),
                Num::D64(a, _) => a.is_null(i),
                Num::D128(a, _) => a.is_null(i),
            },
            Col::Time(t) => match t {
                Time::S(a) => a.is_null(i),
                Time::Ms(a) => a.is_null(i),
                Time::Us(a) => a.is_null(i),
                Time::Ns(a) => a.is_null(i),
                Time::Date32(a) => a.is_null(i),
                Time::Date64(a) => a.is_null(i),
            },
            Col::Bool(a) => a.is_null(i),
            Col::Map(m, _, _) => m.is_null(i),
            Col::Other(_) => false,
        }
    }

    fn kind(&self) -> String {
        match self {
            Col::Num(_) => "numbers".into(),
            Col::Time(_) => "timestamps".into(),
            Col::Bool(_) => "booleans".into(),
            Col::Map(..) => "a map".into(),
            Col::Other(t) => format!("Parquet/Arrow type {t}"),
            _ => "text".into(),
        }
    }

    /// The text of cell `i` (`None`: null, empty or `NULL`).
    pub(super) fn text(&self, i: usize) -> Result<Option<&str>, String> {
        if self.is_null(i) {
            return Ok(None);
        }
        let s = match self {
            Col::Str(a) => a.value(i),
            Col::LargeStr(a) => a.value(i),
            Col::View(a) => a.value(i),
            Col::Dict(d, values) => {
                let k = d.keys().value(i);
                return match usize::try_from(k) {
                    Ok(k) => values.text(k),
                    Err(_) => Err(format!("a dictionary key {k} out of range")),
                };
            }
            other => return Err(format!("holds {}, not text", other.kind())),
        };
        Ok((!is_null_text(s)).then_some(s))
    }

    pub(super) fn number(&self, i: usize) -> Result<Option<f64>, String> {
        match self {
            Col::Num(n) if !self.is_null(i) => {
                let v = n.get(i);
                if v.is_finite() {
                    Ok(Some(v))
                } else {
                    Err(format!("{v} is not a cost"))
                }
            }
            Col::Num(_) => Ok(None),
            Col::Time(_) | Col::Bool(_) | Col::Map(..) | Col::Other(_) => {
                Err(format!("holds {}, not numbers", self.kind()))
            }
            _ => self.text(i)?.map(parse_number).transpose(),
        }
    }

    pub(super) fn time(&self, i: usize) -> Result<Option<i64>, String> {
        match self {
            Col::Time(t) if !self.is_null(i) => Ok(Some(t.get(i))),
            Col::Time(_) => Ok(None),
            Col::Num(_) | Col::Bool(_) | Col::Map(..) | Col::Other(_) => {
                Err(format!("holds {}, not timestamps", self.kind()))
            }
            _ => self.text(i)?.map(parse_time_cell).transpose(),
        }
    }

    pub(super) fn entries(
        &self,
        i: usize,
        f: &mut dyn FnMut(String, String),
    ) -> Result<(), String> {
        match self {
            Col::Map(m, keys, values) => {
                if m.is_null(i) {
                    return Ok(());
                }
                let offsets = m.value_offsets();
                let (from, to) = (offsets[i], offsets[i + 1]);
                let mut value = String::new();
                for j in from..to {
                    let j = usize::try_from(j).map_err(|_| "a corrupt map".to_owned())?;
                    let Some(key) = keys.text(j)? else { continue };
                    if values.tag_text(j, &mut value)? {
                        f(key.to_owned(), std::mem::take(&mut value));
                    }
                }
                Ok(())
            }
            Col::Num(_) | Col::Time(_) | Col::Bool(_) | Col::Other(_) => {
                Err(format!("holds {}, not a map or a JSON object", self.kind()))
            }
            _ => match self.text(i)? {
                Some(s) => json_entries(s, f),
                None => Ok(()),
            },
        }
    }

    /// Cell `i` as a JSON value (a map's value in a JSON object): numbers and booleans as
    /// such, anything else as its tag text.
    fn json(&self, i: usize) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        if self.is_null(i) {
            return Ok(Value::Null);
        }
        Ok(match self {
            Col::Num(n) => {
                serde_json::Number::from_f64(n.get(i)).map_or(Value::Null, Value::Number)
            }
            Col::Bool(a) => Value::Bool(a.value(i)),
            _ => {
                let mut s = String::new();
                self.tag_text(i, &mut s)?;
                Value::String(s)
            }
        })
    }

    /// Cell `i` as a tag's value: text as it is, numbers and booleans as written, instants in
    /// RFC 3339, maps as a JSON object (its numbers as numbers, so a map reads as the same text as
    /// the JSON a CSV export holds). `false` when null.
    pub(super) fn tag_text(&self, i: usize, out: &mut String) -> Result<bool, String> {
        out.clear();
        if self.is_null(i) {
            return Ok(false);
        }
        match self {
            Col::Num(n) => {
                let _ = write!(out, "{}", n.get(i));
            }
            Col::Bool(a) => out.push_str(if a.value(i) { "true" } else { "false" }),
            Col::Time(t) => {
                let ms = t.get(i);
                match chrono::DateTime::from_timestamp_millis(ms) {
                    Some(d) => {
                        out.push_str(&d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    }
                    None => return Err(format!("{ms} ms is not an instant")),
                }
            }
            Col::Map(m, keys, values) => {
                let mut obj = serde_json::Map::new();
                let offsets = m.value_offsets();
                for j in offsets[i]..offsets[i + 1] {
                    let j = usize::try_from(j).map_err(|_| "a corrupt map".to_owned())?;
                    if let Some(key) = keys.text(j)? {
                        obj.insert(key.to_owned(), values.json(j)?);
                    }
                }
                out.push_str(&serde_json::Value::Object(obj).to_string());
            }
            _ => match self.text(i)? {
                Some(s) => out.push_str(s),
                None => return Ok(false),
            },
        }
        Ok(true)
    }
}

/// One row of a record batch, its columns in the projected order.
pub(super) struct Row<'a, 'b> {
    pub cols: &'b [Col<'a>],
    pub row: usize,
}

impl Row<'_, '_> {
    fn col(&self, i: usize) -> Result<&Col<'_>, String> {
        self.cols
            .get(i)
            .ok_or_else(|| format!("column {i} is missing from the record batch"))
    }
}

impl Cells for Row<'_, '_> {
    fn text(&self, i: usize) -> Result<Option<&str>, String> {
        self.col(i)?.text(self.row)
    }
    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        self.col(i)?.number(self.row)
    }
    fn time(&self, i: usize) -> Result<Option<i64>, String> {
        self.col(i)?.time(self.row)
    }
    fn entries(&self, i: usize, f: &mut dyn FnMut(String, String)) -> Result<(), String> {
        self.col(i)?.entries(self.row, f)
    }
    fn tag_text(&self, i: usize, out: &mut String) -> Result<bool, String> {
        self.col(i)?.tag_text(self.row, out)
    }
}
