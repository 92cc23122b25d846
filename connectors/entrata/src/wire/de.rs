//! Deserializers for the quirks of Entrata's JSON (fixtures README, "Entrata"): Entrata builds its
//! JSON from XML, so
//!
//! - a list of one comes back as the item itself and a list of several as an array ([`OneOrMany`]);
//! - ids are strings in one place and numbers in another ([`id`], [`opt_id`]);
//! - absent values are omitted keys, empty strings or empty objects (every `opt_*` helper reads all
//!   of them as `None`);
//! - dates are `MM/DD/YYYY` or `YYYY-MM-DD` ([`opt_date`]);
//! - numbers arrive as strings such as `"1.000000"`, `"1,234.00"` or `"$900.00"` ([`opt_cents`],
//!   [`opt_i32`], [`opt_f64`]); money becomes cents by decimal arithmetic, never through a float.
//!
//! Every record is kept together with its raw JSON text ([`Raw`]) so that the normalized record can
//! store it as `remote_data`. Errors name the JSON path of the offending field ([`PathError`]).
//!
//! Everything is read straight from the response text ([`from_str`]), never through a
//! `serde_json::Value` tree: a record ([`Raw`]) or a list ([`OneOrMany`], which must hand a single
//! record over whole) first takes its own span of the text (a borrowed `RawValue`, no copy), then
//! reads its typed form from that span; other containers are read in place. Paths are tracked
//! (`serde_path_to_error`) only when a read fails, by reading the failing span again; a good page
//! pays nothing for them.

use std::fmt;

use chrono::NaiveDate;
use pmsgraph_connector_core::RemoteData;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A list as Entrata's XML-to-JSON conversion writes it: an array for several items, the bare item
/// for one, and nothing (an omitted key, `null` or `""`) for none. Use it with `#[serde(default)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> OneOrMany<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self) -> Option<&T> {
        self.0.first()
    }

    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> IntoIterator for OneOrMany<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Reads its own span of the text first, because a single record (`{..}`) must reach [`Raw`] whole:
/// a map access that has already begun cannot give its text back. Only for serde_json readers of
/// borrowed text ([`from_str`]), which is how every response is read.
impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim_start();
        let read = match text.as_bytes().first() {
            Some(b'[') => from_str::<Vec<T>>(text).map(OneOrMany),
            Some(b'n') => return Ok(OneOrMany::default()),
            Some(b'"') if is_blank_string(text) => return Ok(OneOrMany::default()),
            _ => from_str::<T>(text).map(|item| OneOrMany(vec![item])),
        };
        read.map_err(PathError::nest)
    }
}

/// Whether JSON text is a string of nothing but whitespace (an empty XML element).
fn is_blank_string(text: &str) -> bool {
    serde_json::from_str::<&str>(text).map(|s| s.trim().is_empty()).unwrap_or_else(|_| {
        // An escaped string cannot be borrowed; read it owned.
        serde_json::from_str::<String>(text).is_ok_and(|s| s.trim().is_empty())
    })
}

/// Whether JSON text stands for "nothing here": `null`, `[]`, or a blank string.
pub fn is_empty_json(text: &str) -> bool {
    let text = text.trim();
    match text.as_bytes().first() {
        Some(b'n') => text == "null",
        Some(b'[') => text[1..].trim_start().starts_with(']'),
        Some(b'"') => is_blank_string(text),
        _ => false,
    }
}

/// A record together with the JSON text it was read from, which becomes the normalized record's
/// `remote_data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw<T> {
    pub value: T,
    pub raw: RemoteData,
}

impl<T> std::ops::Deref for Raw<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Raw<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        // The record's own path starts here; the outer path is joined to it when the error
        // surfaces (`PathError::nest`).
        let value = from_str(raw.get()).map_err(PathError::nest)?;
        Ok(Raw { value, raw: RemoteData::from_raw(raw.to_owned()) })
    }
}

/// Reads an optional container (`{"leases": {"lease": [...]}}`) that Entrata may also send as `""`,
/// `[]` or `null` when it is empty. An object is read in place, from the same text, so a large
/// container is not scanned twice.
pub fn opt_container<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    deserializer.deserialize_any(ContainerVisitor(std::marker::PhantomData))
}

struct ContainerVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ContainerVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object, or an empty value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match seq.next_element::<de::IgnoredAny>()? {
            None => Ok(None),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() { Ok(None) } else { Err(E::invalid_type(de::Unexpected::Str(v), &self)) }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A deserialization failure with the JSON path of the field that caused it, e.g.
/// `response.result.leases.lease[0].customers.customer[1].moveInDate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub message: String,
}

/// Separates a nested record's path from its message inside a serde error message, so that the
/// path survives the trip through a buffered [`Raw`] record. Never part of Entrata's data (a
/// control character that JSON strings cannot hold unescaped, and that we never print).
const NESTED: char = '\u{1}';

impl PathError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        PathError { path: path.into(), message: message.into() }
    }

    fn from_tracked(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let outer = render_path(err.path());
        let message = bare_message(err.inner());
        if let Some(rest) = message.strip_prefix(NESTED)
            && let Some((inner_path, inner_message)) = rest.split_once(NESTED)
        {
            return PathError::new(join_path(&outer, inner_path), inner_message);
        }
        // serde names a missing field in the message and stops the path at its parent: name it.
        if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            return PathError::new(join_path(&outer, field), "missing");
        }
        PathError::new(outer, message)
    }

    /// Wraps this error into another deserializer's error, keeping the path for the outer layer.
    fn nest<E: de::Error>(self) -> E {
        E::custom(format_args!("{NESTED}{}{NESTED}{}", self.path, self.message))
    }

    /// The path for display: `.` for the document itself.
    pub fn display_path(&self) -> &str {
        if self.path.is_empty() { "." } else { &self.path }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.display_path(), self.message)
    }
}

/// Reads `T` from JSON text. A failure is read again with path tracking, so that it names the
/// path of the offending field; a success never pays for the tracking.
pub fn from_str<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, PathError> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut tracked = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, T>(&mut tracked) {
                Err(err) => Err(PathError::from_tracked(err)),
                // Only trailing text can fail the plain read and pass the tracked one.
                Ok(_) => Err(PathError::new("", bare_message(&first))),
            }
        }
    }
}

/// A serde_json error's message without the ` at line L column C` it appends when reading text:
/// paths say where, and a record's position inside its page means nothing to a reader.
pub fn bare_message(err: &serde_json::Error) -> String {
    let message = err.to_string();
    if err.line() == 0 {
        return message;
    }
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match message.strip_suffix(&suffix) {
        Some(bare) => bare.to_owned(),
        None => message,
    }
}

fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

pub fn join_path(outer: &str, inner: &str) -> String {
    match (outer.is_empty(), inner.is_empty()) {
        (_, true) => outer.to_owned(),
        (true, false) => inner.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{outer}{inner}"),
        (false, false) => format!("{outer}.{inner}"),
    }
}

/// One JSON scalar as Entrata sends it: numbers are kept as their decimal text so that nothing
/// passes through a float on its way to cents or ids.
enum Scalar {
    Null,
    Bool(bool),
    Text(String),
}

impl Scalar {
    /// Trimmed text, `None` for null, empty strings and empty objects.
    fn text<E: de::Error>(self) -> Result<Option<String>, E> {
        match self {
            Scalar::Null => Ok(None),
            Scalar::Bool(b) => Err(E::invalid_type(de::Unexpected::Bool(b), &"a string or a number")),
            Scalar::Text(s) => {
                let trimmed = s.trim();
                Ok(if trimmed.is_empty() { None } else { Some(trimmed.to_owned()) })
            }
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or a boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_string()))
    }

    // Rust prints the shortest text that reads back as the same float, without an exponent: a
    // JSON 1035.5 becomes "1035.5" and is then read as a decimal.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        if v.is_finite() {
            Ok(Scalar::Text(v.to_string()))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
        Scalar::deserialize(deserializer)
    }

    // An empty XML element may come back as `{}`: no value.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        match map.next_key::<de::IgnoredAny>()? {
            None => Ok(Scalar::Null),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

/// A required id, sent as a string or a number.
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    opt_id(deserializer)?.ok_or_else(|| de::Error::custom("empty id"))
}

/// Required text (a name, a unit number), trimmed; numbers are read as their text.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    opt_text(deserializer)?.ok_or_else(|| de::Error::custom("empty"))
}

/// An optional id, sent as a string or a number.
pub fn opt_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Scalar::deserialize(deserializer)?.text()
}

/// Optional text, trimmed; numbers are read as their text (a postal code may come as 95819).
pub fn opt_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Scalar::deserialize(deserializer)?.text()
}

/// An optional date, `MM/DD/YYYY` or `YYYY-MM-DD`.
pub fn opt_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    match Scalar::deserialize(deserializer)?.text()? {
        None => Ok(None),
        Some(text) => parse_date(&text).map_err(de::Error::custom),
    }
}

/// An optional amount of money in cents.
pub fn opt_cents<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Scalar::deserialize(deserializer)?.text()? {
        None => Ok(None),
        Some(text) => Decimal::parse(&text).and_then(|d| d.cents()).map(Some).map_err(de::Error::custom),
    }
}

/// An optional whole number; `"4"`, `4`, `"4.000000"` and `"1,400"` all read.
pub fn opt_i32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
    match Scalar::deserialize(deserializer)?.text()? {
        None => Ok(None),
        Some(text) => Decimal::parse(&text)
            .and_then(|d| d.whole())
            .and_then(|n| i32::try_from(n).map_err(|_| format!("`{text}` is out of range")))
            .map(Some)
            .map_err(de::Error::custom),
    }
}

/// An optional whole number that cannot be negative (page numbers, counts).
pub fn opt_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match Scalar::deserialize(deserializer)?.text()? {
        None => Ok(None),
        Some(text) => Decimal::parse(&text)
            .and_then(|d| d.whole())
            .and_then(|n| u32::try_from(n).map_err(|_| format!("`{text}` is out of range")))
            .map(Some)
            .map_err(de::Error::custom),
    }
}

/// An optional whole number of any size (error codes).
pub fn opt_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Scalar::deserialize(deserializer)?.text()? {
        None => Ok(None),
        Some(text) => Decimal::parse(&text).and_then(|d| d.whole()).map(Some).map_err(de::Error::custom),
    }
}

/// An optional measure that may have a fraction (bathrooms: `"2.5"`); not for money.
pub fn opt_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    match Scalar::deserialize(deserializer)?.text()? {
        None => Ok(None),
        Some(text) => Decimal::parse(&text).map(|d| Some(d.to_f64())).map_err(de::Error::custom),
    }
}

/// An optional flag: `1`/`0`, `"1"`/`"0"`, `true`/`false` and their string forms.
pub fn opt_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    match Scalar::deserialize(deserializer)? {
        Scalar::Bool(b) => Ok(Some(b)),
        other => match other.text()? {
            None => Ok(None),
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "t" | "yes" | "y" => Ok(Some(true)),
                "0" | "false" | "f" | "no" | "n" => Ok(Some(false)),
                _ => Err(de::Error::custom(format_args!("`{text}` is not a flag (0/1, true/false)"))),
            },
        },
    }
}

/// Reads a date as Entrata writes it: `MM/DD/YYYY` (requests, getProperties, getCustomers) or
/// `YYYY-MM-DD` (getLeases). A time after the date is ignored. An all-zero date means none.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let date_part = text.trim().split([' ', 'T']).next().unwrap_or_default();
    if date_part.chars().all(|c| matches!(c, '0' | '/' | '-')) {
        return Ok(None);
    }
    let format = if date_part.contains('/') { "%m/%d/%Y" } else { "%Y-%m-%d" };
    NaiveDate::parse_from_str(date_part, format)
        .map(Some)
        .map_err(|_| format!("`{text}` is not a date (MM/DD/YYYY or YYYY-MM-DD)"))
}

/// A decimal number read from text, kept as digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    whole: String,
    fraction: String,
}

impl Decimal {
    /// Reads `1035.00`, `1,234.00`, `$900.00`, `-12.5`, `(12.50)` (accounting negative) and `.5`.
    pub fn parse(text: &str) -> Result<Decimal, String> {
        let invalid = || format!("`{text}` is not a number");
        let mut s = text.trim();
        let mut negative = false;
        if let Some(inner) = s.strip_prefix('(').and_then(|rest| rest.strip_suffix(')')) {
            negative = true;
            s = inner.trim();
        }
        if let Some(rest) = s.strip_prefix('-') {
            negative = !negative;
            s = rest.trim_start();
        } else if let Some(rest) = s.strip_prefix('+') {
            s = rest.trim_start();
        }
        s = s.strip_prefix('$').unwrap_or(s);
        if let Some(rest) = s.strip_prefix('-') {
            // "$-12.00" and "-$12.00" both occur in accounting exports.
            negative = !negative;
            s = rest;
        }
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let whole: String = whole.chars().filter(|c| *c != ',').collect();
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        let whole = whole.trim_start_matches('0').to_owned();
        let fraction = fraction.trim_end_matches('0').to_owned();
        Ok(Decimal { negative, whole, fraction })
    }

    /// The amount in cents, rounded half away from zero past the second decimal.
    pub fn cents(&self) -> Result<i64, String> {
        let overflow = || format!("`{}` is too large an amount", self.text());
        let mut digits = self.whole.clone();
        let mut fraction = self.fraction.chars();
        for _ in 0..2 {
            digits.push(fraction.next().unwrap_or('0'));
        }
        let mut cents: i64 = digits.parse::<i64>().map_err(|_| overflow())?;
        if fraction.next().is_some_and(|c| c >= '5') {
            cents = cents.checked_add(1).ok_or_else(overflow)?;
        }
        Ok(if self.negative { -cents } else { cents })
    }

    /// The number as a whole number; a fraction other than zero is an error.
    pub fn whole(&self) -> Result<i64, String> {
        if !self.fraction.is_empty() {
            return Err(format!("`{}` is not a whole number", self.text()));
        }
        let magnitude: i64 = if self.whole.is_empty() {
            0
        } else {
            self.whole.parse().map_err(|_| format!("`{}` is out of range", self.text()))?
        };
        Ok(if self.negative { -magnitude } else { magnitude })
    }

    pub fn to_f64(&self) -> f64 {
        // Digits only, so the parse cannot fail; a failure would mean a bug here, read as zero.
        self.text().parse().unwrap_or(0.0)
    }

    fn text(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        let whole = if self.whole.is_empty() { "0" } else { &self.whole };
        if self.fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{}", self.fraction) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, PathError> {
        from_str(&value.to_string())
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        #[serde(deserialize_with = "id")]
        id: String,
    }

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(default)]
        items: OneOrMany<Item>,
    }

    #[test]
    fn one_or_many_reads_an_object_an_array_and_nothing() {
        let one: Holder = from_value(&json!({"items": {"id": "1"}})).expect("one");
        assert_eq!(one.items.0, vec![Item { id: "1".into() }]);
        let many: Holder = from_value(&json!({"items": [{"id": "1"}, {"id": 2}]})).expect("many");
        assert_eq!(many.items.0, vec![Item { id: "1".into() }, Item { id: "2".into() }]);
        for empty in [json!({}), json!({"items": ""}), json!({"items": null}), json!({"items": []})] {
            let holder: Holder = from_value(&empty).expect("empty");
            assert!(holder.items.is_empty(), "{empty}");
        }
        let words: OneOrMany<String> = from_value(&json!("Primary")).expect("a bare word");
        assert_eq!(words.0, vec!["Primary".to_owned()]);
    }

    #[test]
    fn ids_read_from_strings_and_numbers() {
        let from_text: Item = from_value(&json!({"id": " 17234385 "})).expect("text");
        let from_number: Item = from_value(&json!({"id": 17234385})).expect("number");
        assert_eq!(from_text, from_number);
        let err = from_value::<Item>(&json!({"id": ""})).expect_err("empty");
        assert_eq!(err, PathError::new("id", "empty id"));
        let err = from_value::<Item>(&json!({})).expect_err("missing");
        assert_eq!(err, PathError::new("id", "missing"));
    }

    #[derive(Debug, Deserialize)]
    struct Dated {
        #[serde(default, deserialize_with = "opt_date")]
        date: Option<NaiveDate>,
    }

    #[test]
    fn dates_read_in_both_formats_and_empty_means_none() {
        let expected = NaiveDate::from_ymd_opt(2024, 8, 5);
        for text in ["08/05/2024", "2024-08-05", "8/5/2024", "2024-08-05T00:00:00", "08/05/2024 10:15:00"] {
            let d: Dated = from_value(&json!({ "date": text })).expect(text);
            assert_eq!(d.date, expected, "{text}");
        }
        for empty in [json!({}), json!({"date": ""}), json!({"date": null}), json!({"date": {}})] {
            let d: Dated = from_value(&empty).expect("empty");
            assert_eq!(d.date, None, "{empty}");
        }
        let d: Dated = from_value(&json!({"date": "0000-00-00"})).expect("zero date");
        assert_eq!(d.date, None);
        let err = from_value::<Dated>(&json!({"date": "13/45/2024"})).expect_err("bad date");
        assert_eq!(err.path, "date");
        assert!(err.message.contains("13/45/2024"), "{err}");
    }

    #[test]
    fn money_becomes_cents_without_floats() {
        let cases = [
            ("1035.00", 103_500),
            ("1,234.00", 123_400),
            ("$900.00", 90_000),
            ("1.000000", 100),
            ("0.1", 10),
            ("-12.5", -1_250),
            ("(12.50)", -1_250),
            ("12.345", 1_235),
            ("12.344", 1_234),
            ("-0.005", -1),
            (".5", 50),
            ("1035", 103_500),
            ("92233720368547758.07", i64::MAX),
        ];
        for (text, cents) in cases {
            assert_eq!(Decimal::parse(text).and_then(|d| d.cents()), Ok(cents), "{text}");
        }
        for bad in ["", "abc", "1.2.3", "12,34.5x", "$", "1e5", "92233720368547758.08"] {
            assert!(Decimal::parse(bad).and_then(|d| d.cents()).is_err(), "{bad}");
        }

        #[derive(Debug, Deserialize)]
        struct Charge {
            #[serde(default, deserialize_with = "opt_cents")]
            amount: Option<i64>,
        }
        let charge: Charge = from_value(&json!({"amount": 1035.5})).expect("a JSON number");
        assert_eq!(charge.amount, Some(103_550));
        let charge: Charge = from_value(&json!({"amount": ""})).expect("empty");
        assert_eq!(charge.amount, None);
    }

    #[test]
    fn whole_numbers_and_flags_are_lenient() {
        #[derive(Debug, Deserialize)]
        struct Unit {
            #[serde(default, deserialize_with = "opt_i32")]
            beds: Option<i32>,
            #[serde(default, deserialize_with = "opt_f64")]
            baths: Option<f64>,
            #[serde(default, deserialize_with = "opt_flag")]
            flag: Option<bool>,
        }
        let u: Unit = from_value(&json!({"beds": "4.000000", "baths": "2.50", "flag": "1"})).expect("strings");
        assert_eq!((u.beds, u.baths, u.flag), (Some(4), Some(2.5), Some(true)));
        let u: Unit = from_value(&json!({"beds": 4, "baths": 2, "flag": 0})).expect("numbers");
        assert_eq!((u.beds, u.baths, u.flag), (Some(4), Some(2.0), Some(false)));
        let u: Unit = from_value(&json!({"beds": "1,400", "flag": true})).expect("thousands");
        assert_eq!((u.beds, u.flag), (Some(1_400), Some(true)));
        let err = from_value::<Unit>(&json!({"beds": "2.5"})).expect_err("a fraction");
        assert_eq!(err.path, "beds");
        let err = from_value::<Unit>(&json!({"flag": "maybe"})).expect_err("not a flag");
        assert_eq!(err.path, "flag");
    }

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[serde(default)]
        records: OneOrMany<Raw<Inner>>,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[serde(default)]
        children: OneOrMany<Raw<Item>>,
    }

    #[test]
    fn raw_records_keep_their_json_and_errors_keep_the_full_path() {
        let value = json!({"records": [{"children": {"id": 1}}, {"children": [{"id": 2}, {"id": true}]}]});
        let err = from_value::<Outer>(&value).expect_err("a boolean id");
        assert_eq!(err.path, "records[1].children[1].id");
        assert!(err.message.contains("boolean"), "{err}");

        let value = json!({"records": {"children": [{"id": 1}, {"nope": 1}]}});
        let err = from_value::<Outer>(&value).expect_err("a missing id");
        assert_eq!(err, PathError::new("records.children[1].id", "missing"));

        let value = json!({"records": {"children": {"id": 7}, "extra": "kept"}});
        let outer: Outer = from_value(&value).expect("parses");
        let record = outer.records.first().expect("one record");
        assert_eq!(record.raw.as_str(), r#"{"children":{"id":7},"extra":"kept"}"#);
        assert_eq!(record.children.first().map(|c| c.id.as_str()), Some("7"));
    }
}
