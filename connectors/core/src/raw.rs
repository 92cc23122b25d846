//! [`RemoteData`]: the PMS's own record, kept beside the normalized one as the JSON text it came in.
//!
//! A sync moves hundreds of thousands of these. Keeping them as text, not as a parsed tree, means a
//! connector copies each record's bytes once out of the response, the content hash reads them as
//! they are ([`crate::ContentHash`]), and the database receives them as one string: no tree is
//! built, cloned or serialized again on the way. Readers that want the structure parse it
//! ([`RemoteData::to_value`]); serializing one does too, so any serializer sees plain JSON.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Valid JSON text (an object, usually), as the PMS sent it or as a connector converted it.
#[derive(Clone)]
pub struct RemoteData(Box<RawValue>);

impl RemoteData {
    /// `null`: no raw record (test records, records built from several sources).
    pub fn null() -> RemoteData {
        RemoteData(RawValue::NULL.to_owned())
    }

    /// Keeps raw JSON text read from a response.
    pub fn from_raw(raw: Box<RawValue>) -> RemoteData {
        RemoteData(raw)
    }

    /// The JSON text of a value (for connectors whose wire format is not JSON, and for tests).
    pub fn from_value(value: &Value) -> RemoteData {
        // Writing a `Value` as JSON cannot fail: its map keys are strings.
        serde_json::value::to_raw_value(value).map(RemoteData).unwrap_or_else(|_| RemoteData::null())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The parsed JSON.
    pub fn to_value(&self) -> Value {
        // The text was valid JSON when this was made and cannot change since.
        serde_json::from_str(self.as_str()).unwrap_or(Value::Null)
    }
}

impl Default for RemoteData {
    fn default() -> Self {
        RemoteData::null()
    }
}

impl From<Value> for RemoteData {
    fn from(value: Value) -> Self {
        RemoteData::from_value(&value)
    }
}

impl PartialEq for RemoteData {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RemoteData {}

impl fmt::Debug for RemoteData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes the parsed JSON, so that every serializer (not only serde_json's, which alone knows raw
/// values) sees a plain tree. Hot paths use the text ([`RemoteData::as_str`]) instead.
impl Serialize for RemoteData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

/// Reads any JSON, from any deserializer (not only serde_json's, which raw values need).
impl<'de> Deserialize<'de> for RemoteData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|v| RemoteData::from_value(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_kept_as_it_came_and_serialized_as_its_tree() {
        let raw: Box<RawValue> = serde_json::from_str(r#"{"b": 1, "a": [true, null]}"#).expect("json");
        let data = RemoteData::from_raw(raw);
        assert_eq!(data.as_str(), r#"{"b": 1, "a": [true, null]}"#);
        assert_eq!(data.to_value(), json!({"a": [true, null], "b": 1}));
        assert_eq!(serde_json::to_string(&data).expect("writes"), r#"{"a":[true,null],"b":1}"#);
    }

    #[test]
    fn values_and_null_convert_and_compare_by_text() {
        assert_eq!(RemoteData::null().as_str(), "null");
        assert_eq!(RemoteData::default(), RemoteData::from(Value::Null));
        assert_eq!(RemoteData::from(json!({"UnitID": "7"})).as_str(), r#"{"UnitID":"7"}"#);
        assert_ne!(RemoteData::from(json!({"a": 1})), RemoteData::from(json!({"a": 2})));
    }

    #[test]
    fn reads_back_from_any_deserializer() {
        #[derive(Deserialize)]
        #[serde(tag = "kind")]
        enum Tagged {
            One { data: RemoteData },
        }
        let Tagged::One { data } = serde_json::from_value(json!({"kind": "One", "data": {"a": 1}})).expect("reads");
        assert_eq!(data.to_value(), json!({"a": 1}));
    }
}
