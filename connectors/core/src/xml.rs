//! A streaming reader of SOAP answers, on quick-xml's pull [`Reader`] over the response bytes (no
//! document tree of the whole answer is ever built: a property of thousands of units is one big
//! XML document, and only one record of it is held at a time). Shared by the SOAP connectors
//! (Yardi, RealPage); each turns [`XmlError`] and the [`Outcome`] into its own typed errors.
//!
//! - Elements are matched by **local name**, whatever their namespace prefix (`soap:`, `s:`,
//!   `ns3:`, `MITS:`, none): SOAP 1.1 and SOAP 1.2 envelopes read alike.
//! - A `...Result` element may hold a whole document, either as child elements or as one escaped
//!   text (`&lt;MITS-ResidentData&gt;...`); an escaped one is read again as a document of its own,
//!   under the same path.
//! - Text is trimmed; entity and character references are resolved.
//! - `<Messages><Message>..</Message></Messages>` (Yardi's errors) and `soap:Fault` are collected
//!   in the [`Outcome`], for the caller to judge.
//!
//! The caller names its record elements by (parent, element) local names; each record is handed
//! over whole as a small [`Node`] tree, with its path for error messages
//! (`Envelope/Body/GetResidentsResponse/GetResidentsResult/.../Resident[3]`).

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

/// A document that cannot be read: `path` names the element where it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML at {path}: {message}")]
pub struct XmlError {
    pub path: String,
    pub message: String,
}

impl XmlError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        XmlError { path: path.into(), message: message.into() }
    }
}

/// Elements never copied into `remote_data` (lease files carry social security numbers).
pub const NOT_KEPT: &[&str] = &["SSN", "SocialSecurityNumber", "DriversLicense", "DriverLicenseNumber", "TaxID"];

/// One element of a record: its local name, attributes, trimmed text and child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child of that local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child of that local name.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The node at a `/`-separated path of local names below this one (the first match each step).
    pub fn get(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |node, step| node.child(step))
    }

    /// The non-empty text at `path`.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.get(path).map(|n| n.text.as_str()).filter(|t| !t.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// The record as JSON, for `remote_data`: attributes as `@name`, a text-only element as its
    /// string, repeated children as arrays, an element with attributes and text as `#text`.
    /// Identity numbers ([`NOT_KEPT`]) are left out: pmsgraph has no use for them and must not
    /// store them.
    pub fn to_json(&self) -> Value {
        if self.children.is_empty() && self.attrs.is_empty() {
            return Value::String(self.text.clone());
        }
        let mut map = Map::new();
        for (k, v) in &self.attrs {
            map.insert(format!("@{k}"), Value::String(v.clone()));
        }
        if !self.text.is_empty() {
            map.insert("#text".into(), Value::String(self.text.clone()));
        }
        for child in self.children.iter().filter(|c| !NOT_KEPT.contains(&c.name.as_str())) {
            let value = child.to_json();
            match map.get_mut(&child.name) {
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
                None => {
                    map.insert(child.name.clone(), value);
                }
            }
        }
        Value::Object(map)
    }
}

/// A record element, by the local names of its parent and itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpec {
    pub parent: &'static str,
    pub name: &'static str,
}

/// What the answer was, besides its records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The texts of `<Messages><Message>`.
    pub messages: Vec<String>,
    /// A `soap:Fault`: its code and string.
    pub fault: Option<(Option<String>, String)>,
    /// Records handed over.
    pub records: usize,
}

/// Reads a document without judging it: records, messages and fault.
pub fn scan<E: From<XmlError>>(
    body: &[u8],
    specs: &[RecordSpec],
    on_record: &mut dyn FnMut(usize, Node, &str) -> Result<(), E>,
) -> Result<Outcome, E> {
    let mut state = State { specs, on_record, outcome: Outcome::default(), counts: HashMap::new() };
    let mut path = Vec::new();
    state.document(body, &mut path)?;
    Ok(state.outcome)
}

/// What is being captured whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Record(usize),
    Messages,
    Fault,
}

struct State<'s, E> {
    specs: &'s [RecordSpec],
    on_record: &'s mut dyn FnMut(usize, Node, &str) -> Result<(), E>,
    outcome: Outcome,
    counts: HashMap<usize, usize>,
}

fn joined(path: &[String]) -> String {
    path.join("/")
}

fn local(name: &[u8], path: &[String]) -> Result<String, XmlError> {
    std::str::from_utf8(name)
        .map(str::to_owned)
        .map_err(|_| XmlError::new(joined(path), "an element name is not UTF-8"))
}

fn node_of(e: &BytesStart<'_>, path: &[String]) -> Result<Node, XmlError> {
    let name = local(e.local_name().as_ref(), path)?;
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError::new(format!("{}/{name}", joined(path)), err.to_string()))?;
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let key = local(attr.key.local_name().as_ref(), path)?;
        let value = attr
            .unescape_value()
            .map_err(|err| XmlError::new(format!("{}/{name}/@{key}", joined(path)), err.to_string()))?;
        attrs.push((key, value.trim().to_owned()));
    }
    Ok(Node { name, attrs, text: String::new(), children: Vec::new() })
}

impl<E: From<XmlError>> State<'_, E> {
    /// Reads one document (the body, or an escaped inner document) below `path`.
    fn document(&mut self, bytes: &[u8], path: &mut Vec<String>) -> Result<(), E> {
        let base = path.len();
        let mut reader = Reader::from_reader(bytes);
        // Captured elements, outermost first, and what they are.
        let mut stack: Vec<Node> = Vec::new();
        let mut capture: Option<Capture> = None;
        // The text of a `...Result` element that has no child elements (yet): an escaped document.
        let mut result_text: Option<String> = None;
        loop {
            let event = reader.read_event().map_err(|e| {
                XmlError::new(joined(path), format!("not well-formed XML at byte {}: {e}", reader.error_position()))
            })?;
            let (start, empty) = match &event {
                Event::Start(e) => (Some(e), false),
                Event::Empty(e) => (Some(e), true),
                _ => (None, false),
            };
            if let Some(e) = start {
                let node = node_of(e, path)?;
                result_text = None;
                if capture.is_some() {
                    stack.push(node);
                } else {
                    let parent = path.last().map(String::as_str).unwrap_or("");
                    let kind =
                        if let Some(i) = self.specs.iter().position(|s| s.name == node.name && s.parent == parent) {
                            Some(Capture::Record(i))
                        } else if node.name == "Fault" && parent == "Body" {
                            Some(Capture::Fault)
                        } else if node.name == "Messages" {
                            Some(Capture::Messages)
                        } else {
                            None
                        };
                    if kind.is_some() {
                        capture = kind;
                        stack.push(node);
                    } else if node.name.ends_with("Result") && !empty {
                        result_text = Some(String::new());
                        path.push(node.name);
                        continue;
                    } else if empty {
                        continue;
                    } else {
                        path.push(node.name);
                        continue;
                    }
                }
                if empty {
                    self.close(&mut stack, &mut capture, path)?;
                } else if let Some(top) = stack.last() {
                    path.push(top.name.clone());
                }
                continue;
            }
            match event {
                Event::Text(t) => {
                    let text = t.decode().map_err(|e| XmlError::new(joined(path), e.to_string()))?;
                    self.append(&mut stack, &mut result_text, &text);
                }
                Event::CData(c) => {
                    let text = c.decode().map_err(|e| XmlError::new(joined(path), e.to_string()))?;
                    self.append(&mut stack, &mut result_text, &text);
                }
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .ok()
                            .flatten()
                            .map(String::from)
                            .ok_or_else(|| XmlError::new(joined(path), "an invalid character reference"))?
                    } else {
                        let name = r.decode().map_err(|e| XmlError::new(joined(path), e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_owned)
                            .ok_or_else(|| XmlError::new(joined(path), format!("unknown entity `&{name};`")))?
                    };
                    self.append(&mut stack, &mut result_text, &resolved);
                }
                Event::End(_) => {
                    if capture.is_some() {
                        path.pop();
                        self.close(&mut stack, &mut capture, path)?;
                    } else if path.len() > base {
                        let ended = path.last().cloned().unwrap_or_default();
                        if ended.ends_with("Result")
                            && let Some(inner) = result_text.take()
                            && inner.trim_start().starts_with('<')
                        {
                            // An escaped document: read it under the Result element's path.
                            self.document(inner.trim().as_bytes(), path)?;
                        }
                        path.pop();
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        path.truncate(base);
        Ok(())
    }

    fn append(&self, stack: &mut [Node], result_text: &mut Option<String>, text: &str) {
        if let Some(top) = stack.last_mut() {
            top.text.push_str(text);
        } else if let Some(buffer) = result_text {
            buffer.push_str(text);
        }
    }

    /// Ends the innermost captured element; a finished capture is handed over.
    fn close(&mut self, stack: &mut Vec<Node>, capture: &mut Option<Capture>, path: &[String]) -> Result<(), E> {
        let Some(mut node) = stack.pop() else { return Ok(()) };
        let trimmed = node.text.trim();
        if trimmed.len() != node.text.len() {
            node.text = trimmed.to_owned();
        }
        if let Some(parent) = stack.last_mut() {
            parent.children.push(node);
            return Ok(());
        }
        match capture.take() {
            Some(Capture::Record(kind)) => {
                let n = self.counts.entry(kind).or_insert(0);
                *n += 1;
                let at = format!("{}/{}[{n}]", joined(path), node.name);
                self.outcome.records += 1;
                (self.on_record)(kind, node, &at)?;
            }
            Some(Capture::Messages) => {
                let texts: Vec<String> = node.children("Message").map(|m| m.text.clone()).collect();
                if texts.is_empty() && !node.text.is_empty() {
                    self.outcome.messages.push(node.text);
                } else {
                    self.outcome.messages.extend(texts.into_iter().filter(|t| !t.is_empty()));
                }
            }
            Some(Capture::Fault) => {
                // SOAP 1.1: faultcode / faultstring; SOAP 1.2: Code/Value / Reason/Text.
                let code = node.text_at("faultcode").or_else(|| node.text_at("Code/Value")).map(str::to_owned);
                let message = node
                    .text_at("faultstring")
                    .or_else(|| node.text_at("Reason/Text"))
                    .unwrap_or("a SOAP fault without a fault string")
                    .to_owned();
                self.outcome.fault = Some((code, message));
            }
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[RecordSpec] = &[RecordSpec { parent: "Items", name: "Item" }];

    fn records(body: &str) -> Result<(Vec<(Node, String)>, Outcome), XmlError> {
        let mut out = Vec::new();
        let outcome = scan(body.as_bytes(), SPECS, &mut |_, node, path| {
            out.push((node, path.to_owned()));
            Ok::<(), XmlError>(())
        })?;
        Ok((out, outcome))
    }

    #[test]
    fn local_names_match_whatever_the_prefix() {
        let body = r#"<s:Envelope xmlns:s="x"><s:Body><a:R xmlns:a="y"><a:Items><a:Item Code=" 7 "><a:Name>  Ann &amp; Bo </a:Name><Empty/></a:Item><Item><Name>B</Name></Item></a:Items></a:R></s:Body></s:Envelope>"#;
        let (items, outcome) = records(body).expect("reads");
        assert_eq!((items.len(), outcome.records), (2, 2));
        assert_eq!(items[0].0.attr("Code"), Some("7"));
        assert_eq!(items[0].0.text_at("Name"), Some("Ann & Bo"));
        assert_eq!(items[0].0.text_at("Empty"), None);
        assert_eq!(items[1].1, "Envelope/Body/R/Items/Item[2]");
        assert_eq!(items[0].0.to_json(), serde_json::json!({"@Code": "7", "Name": "Ann & Bo", "Empty": ""}));
    }

    #[test]
    fn faults_are_collected_and_broken_xml_names_where_it_broke() {
        let fault = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring xml:lang="en-US">Invalid license key</faultstring></s:Fault></s:Body></s:Envelope>"#;
        let (_, outcome) = records(fault).expect("reads");
        assert_eq!(outcome.fault, Some((Some("s:Client".into()), "Invalid license key".into())));
        let err = records("<Envelope><Body><Items><Item><Name>A</Nome></Item></Items></Body></Envelope>")
            .expect_err("broken");
        assert!(err.path.starts_with("Envelope/Body/Items"), "{}", err.path);
    }
}
