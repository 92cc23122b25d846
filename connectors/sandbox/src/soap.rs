//! What the SOAP simulators (Yardi, RealPage) share: reading a request envelope by local names
//! ([`read_request`]) and writing answers ([`Xml`]: elements, attributes and escaped text into
//! one string, indented as the PMSs' pretty-printed answers are, so that readers must trim).
//!
//! Written from the sandbox's own code, never from a connector's.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

use crate::faults::Profile;
use crate::state::SandboxState;

/// An XML answer.
pub fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"))], body).into_response()
}

/// A bare HTTP status (the injected 429, with `Retry-After: 1`, and 503).
pub fn bare_status(status: StatusCode) -> Response {
    let mut response = (status, "").into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// The one-shot fault a credential's `ratelimit` or `flaky` injects into this call, if it is the
/// first of its method: HTTP 429 or 503.
pub fn one_shot(state: &SandboxState, profile: &Profile, credential: &str, method: &str) -> Option<StatusCode> {
    if profile.rate_limit && state.faults().first_time(credential, "ratelimit", method) {
        return Some(StatusCode::TOO_MANY_REQUESTS);
    }
    if profile.flaky && state.faults().first_time(credential, "flaky", method) {
        return Some(StatusCode::SERVICE_UNAVAILABLE);
    }
    None
}

/// A SOAP request: the operation element's name and the texts of the leaf elements below it,
/// by local name (`UserName`, or `auth/licensekey` and `getleaseinfo/residentstatus` read as
/// `licensekey` and `residentstatus`).
#[derive(Debug, Default)]
pub struct Request {
    pub operation: String,
    pub fields: HashMap<String, String>,
}

impl Request {
    /// The trimmed, non-empty text of a field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// Reads `Envelope/Body/{Operation}/.../{Field}` by local names.
pub fn read_request(body: &[u8]) -> Result<Request, String> {
    let mut reader = Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut request = Request::default();
    let mut text = String::new();
    // Per open element: whether it has child elements (only leaves are fields).
    let mut parents: Vec<bool> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.len() == 2 && path[0] == "Envelope" && path[1] == "Body" {
                    request.operation.clone_from(&name);
                }
                if let Some(top) = parents.last_mut() {
                    *top = true;
                }
                path.push(name);
                parents.push(false);
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.len() == 2 && path[1] == "Body" {
                    request.operation = name;
                } else if path.len() >= 3 {
                    request.fields.insert(name, String::new());
                }
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(String::from)
                } else {
                    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
                };
                text.push_str(&resolved.ok_or_else(|| format!("unknown entity &{name};"))?);
            }
            Event::End(_) => {
                if path.len() >= 4 && parents.last() == Some(&false) {
                    let name = path.last().cloned().unwrap_or_default();
                    request.fields.insert(name, std::mem::take(&mut text));
                }
                path.pop();
                parents.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if request.operation.is_empty() {
        return Err("no operation element in soap:Body".into());
    }
    Ok(request)
}

/// A small XML writer: elements, attributes and escaped text into one string, indented.
pub struct Xml {
    pub(crate) out: String,
    depth: usize,
}

impl Xml {
    pub fn new(capacity: usize) -> Xml {
        let mut out = String::with_capacity(capacity);
        out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        Xml { out, depth: 0 }
    }

    /// A writer of an inner document (no declaration), for escaped results.
    pub fn inner(capacity: usize) -> Xml {
        Xml { out: String::with_capacity(capacity), depth: 0 }
    }

    pub(crate) fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{}\"", escape(*v)));
        }
        self.out.push('>');
        self.depth += 1;
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag>text</tag>`, or `<tag />` for no text.
    pub fn leaf(&mut self, tag: &str, text: Option<&str>) -> &mut Self {
        self.indent();
        match text {
            Some(text) => self.out.push_str(&format!("<{tag}>{}</{tag}>", escape(text))),
            None => self.out.push_str(&format!("<{tag} />")),
        }
        self
    }

    pub fn text(&mut self, tag: &str, text: &str) -> &mut Self {
        self.leaf(tag, Some(text))
    }

    pub fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{}\"", escape(*v)));
        }
        self.out.push_str(" />");
        self
    }

    /// Raw, already escaped text.
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.out.push_str(text);
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_are_read_by_local_name() {
        let body = br#"<soapenv:Envelope xmlns:soapenv="s" xmlns:tem="t"><soapenv:Header/><soapenv:Body><tem:getleaseinfo><tem:auth><tem:pmcid>1</tem:pmcid><tem:licensekey>sandbox</tem:licensekey></tem:auth><tem:getleaseinfo><tem:residentheldthestatus>365</tem:residentheldthestatus><tem:x/></tem:getleaseinfo></tem:getleaseinfo></soapenv:Body></soapenv:Envelope>"#;
        let request = read_request(body).expect("reads");
        assert_eq!(request.operation, "getleaseinfo");
        assert_eq!(request.field("licensekey"), Some("sandbox"));
        assert_eq!(request.field("residentheldthestatus"), Some("365"));
        assert!(request.fields.contains_key("x") && !request.fields.contains_key("auth"));
    }
}
