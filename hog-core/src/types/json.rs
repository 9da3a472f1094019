//! Values as JSON, in the conventions of the hobbes golden files: signed
//! integers, `int128` as a decimal string, `char` as a one-character string,
//! records as objects in field order, variants as
//! `{"ctor": …, "tag": …, "value": …}`, unit as `null`.

use serde_json::{json, Map, Number, Value as Json};

use super::value::Value;

impl Value {
    /// This value as JSON.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Unit => Json::Null,
            Value::Bool(b) => json!(b),
            Value::Byte(b) => json!(b),
            Value::Char(c) => json!(char::from(*c).to_string()),
            Value::Short(v) => json!(v),
            Value::Int(v) => json!(v),
            Value::Long(v) => json!(v),
            Value::Int128(v) => json!(v.to_string()),
            Value::Float(v) => float(f64::from(*v)),
            Value::Double(v) => float(*v),
            Value::Chars { bytes, fixed: true } => {
                json!(bytes.iter().map(|&b| char::from(b)).collect::<String>())
            }
            Value::Chars {
                bytes,
                fixed: false,
            } => json!(String::from_utf8_lossy(bytes)),
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

/// A float as a JSON number; NaN and infinities (which JSON lacks) as strings.
fn float(v: f64) -> Json {
    Number::from_f64(v)
        .map(Json::Number)
        .unwrap_or_else(|| json!(v.to_string()))
}
