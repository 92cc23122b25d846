//! What the SOAP 1.1 connectors (Yardi, RealPage) share: a generic envelope writer ([`Envelope`],
//! [`Element`]: any nesting, any prefixes, text escaped) and one call over the shared HTTP layer
//! ([`post`]): `Content-Type: text/xml; charset=utf-8`, the quoted `SOAPAction`, a `soap:Fault`
//! with HTTP 500 read into [`Answer::Fault`] (faultcode and faultstring, by the streaming reader
//! of [`crate::xml`]) rather than retried or treated as an outage.
//!
//! Each connector keeps its own operations, request parameters and error enum; this module knows
//! nothing of any PMS.

use chrono::{DateTime, Utc};
use quick_xml::escape::escape;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap, HeaderValue};

use crate::error::ConnectorError;
use crate::http::HttpClient;
use crate::xml;

/// The SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// One element of a request body: a name (with its prefix, if any), attributes, and either text
/// or child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: Option<String>,
    pub children: Vec<Element>,
}

impl Element {
    /// `<name>text</name>` (always written with both tags, even for empty text).
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Element {
        Element { name: name.into(), attrs: Vec::new(), text: Some(text.into()), children: Vec::new() }
    }

    /// `<name>children</name>`, or `<name/>` without children.
    pub fn group(name: impl Into<String>, children: Vec<Element>) -> Element {
        Element { name: name.into(), attrs: Vec::new(), text: None, children }
    }

    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Element {
        self.attrs.push((name.into(), value.into()));
        self
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape(v.as_str())));
        }
        match (&self.text, self.children.is_empty()) {
            (None, true) => out.push_str("/>"),
            (text, _) => {
                out.push('>');
                if let Some(text) = text {
                    out.push_str(&escape(text.as_str()));
                }
                for child in &self.children {
                    child.write(out);
                }
                out.push_str(&format!("</{}>", self.name));
            }
        }
    }
}

/// How an envelope is spelled: the envelope's prefix, the namespaces declared on it (in order),
/// whether an XML declaration and an empty `Header` come first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub prefix: &'static str,
    pub namespaces: Vec<(&'static str, &'static str)>,
    pub xml_declaration: bool,
    pub header: bool,
}

impl Envelope {
    /// The envelope around `body` (the operation element).
    pub fn write(&self, body: &Element) -> String {
        let mut out = String::with_capacity(1024);
        if self.xml_declaration {
            out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        }
        let p = self.prefix;
        out.push_str(&format!("<{p}:Envelope"));
        for (name, uri) in &self.namespaces {
            out.push_str(&format!(" {name}=\"{}\"", escape(*uri)));
        }
        out.push('>');
        if self.header {
            out.push_str(&format!("<{p}:Header/>"));
        }
        out.push_str(&format!("<{p}:Body>"));
        body.write(&mut out);
        out.push_str(&format!("</{p}:Body></{p}:Envelope>"));
        out
    }
}

/// What a SOAP call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A 2xx answer's body, and the instant its `Date` header names (the PMS's clock).
    Body { body: Vec<u8>, date: Option<DateTime<Utc>> },
    /// A `soap:Fault` (HTTP 500 with an XML body): its HTTP status, fault code and string.
    Fault { status: u16, code: Option<String>, message: String },
}

/// Sends one SOAP call: `body` to `url` with `SOAPAction: "{action}"`. Transient failures are
/// retried by the HTTP layer; a fault is handed back as [`Answer::Fault`]; any other non-2xx
/// answer is [`ConnectorError::Upstream`] with the start of its body.
pub async fn post(http: &HttpClient, url: &str, action: &str, body: String) -> Result<Answer, ConnectorError> {
    let request = http
        .client()
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"))
        .header("SOAPAction", format!("\"{action}\""))
        .body(body);
    let soap_fault = |status: StatusCode, headers: &HeaderMap| {
        status == StatusCode::INTERNAL_SERVER_ERROR
            && headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.contains("xml"))
    };
    let response = http.send_accepting(request, soap_fault).await?;
    let status = response.status();
    let date = response
        .headers()
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.with_timezone(&Utc));
    let body = response
        .bytes()
        .await
        .map_err(|e| if e.is_timeout() { ConnectorError::Timeout } else { ConnectorError::Transport(e.to_string()) })?;
    if status.is_success() {
        return Ok(Answer::Body { body: body.to_vec(), date });
    }
    match xml::scan::<xml::XmlError>(&body, &[], &mut |_, _, _| Ok(())) {
        Ok(xml::Outcome { fault: Some((code, message)), .. }) => {
            Ok(Answer::Fault { status: status.as_u16(), code, message })
        }
        _ => Err(ConnectorError::Upstream {
            status: Some(status.as_u16()),
            message: String::from_utf8_lossy(&body).chars().take(300).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_nest_prefix_and_escape() {
        let envelope = Envelope {
            prefix: "soapenv",
            namespaces: vec![("xmlns:soapenv", SOAP11_NS), ("xmlns:tem", "http://tempuri.org/")],
            xml_declaration: false,
            header: true,
        };
        let body = Element::group(
            "tem:op",
            vec![Element::group("tem:auth", vec![Element::leaf("tem:key", "a&b")]), Element::leaf("tem:x", "")],
        );
        assert_eq!(
            envelope.write(&body),
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tem="http://tempuri.org/"><soapenv:Header/><soapenv:Body><tem:op><tem:auth><tem:key>a&amp;b</tem:key></tem:auth><tem:x></tem:x></tem:op></soapenv:Body></soapenv:Envelope>"#
        );
    }
}
