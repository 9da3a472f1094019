//! Values as JSON, in the conventions of the hobbes golden files: signed
//! integers, `int128` as a decimal string, `char` as a one-character string,
//! records as objects in field order, variants as
//! `{"ctor": …, "tag": …, "value": …}`, unit as `null`; and the text
//! of characters and strings.

use std::borrow::Cow;

use serde_json::{json, Map, Number, Value as Json};

use super::value::Value;

impl Value {
    /// This value as JSON.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Unit => Json::Null,
            Value::Bool(b) => json!(b),
            Value::Byte(b) => json!(b),
            Value::Short(v) => json!(v),
            Value::Int(v) => json!(v),
            Value::Long(v) => json!(v),
            Value::Int128(v) => json!(v.to_string()),
            Value::Float(v) => float(f64::from(*v)),
            Value::Double(v) => float(*v),
            Value::Char(_) | Value::Chars { .. } => json!(self.text()),
            Value::Array(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Record(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(name, v)| (name.clone(), v.to_json()))
                    .collect::<Map<_, _>>(),
            ),
            Value::Variant { ctor, tag, value } => {
                json!({"ctor": ctor, "tag": tag, "value": value.to_json()})
            }
        }
    }
}

impl Value {
    /// The text of a `char` or a string: fixed char arrays keep every
    /// character (latin-1), strings are UTF-8 with invalid bytes replaced.
    /// `None` for other values.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Char(c) => Some(Cow::Owned(char::from(*c).to_string())),
            Value::Chars { bytes, fixed: true } => {
                Some(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()))
            }
            Value::Chars {
                bytes,
                fixed: false,
            } => Some(String::from_utf8_lossy(bytes)),
            _ => None,
        }
    }
}

/// A float as a JSON number; NaN and infinities (which JSON lacks) as strings.
fn float(v: f64) -> Json {
    Number::from_f64(v)
        .map(Json::Number)
        .unwrap_or_else(|| json!(v.to_string()))
}
