//! Writes the sandbox world as Yardi's XML: the envelopes (SOAP 1.1, and SOAP 1.2 where the
//! fixtures show it), `<Messages>` answers and `soap:Fault`s, and each operation's records, in the
//! element order and with the quirks of `shared/fixtures/pms/yardi` (MITS prefixes, `1.000000`
//! numbers, `MM/DD/YYYY` dates in GetResidents and `YYYY-MM-DD` elsewhere, empty elements for
//! absent values, a pretty-printed layout whose text needs trimming).
//!
//! Written straight into one `String`: a property of thousands of units is one document, as Yardi
//! sends it.

use chrono::NaiveDate;
use quick_xml::escape::escape;

pub use crate::soap::Xml;

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const MITS: &str = "http://my-company.com/namespace";

/// Which envelope an answer comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soap {
    V11,
    V12,
}

/// Opens `Envelope/Body/{op}Response/{op}Result`.
pub fn open_result(xml: &mut Xml, soap: Soap, operation: &str, namespace: &str) {
    let ns = match soap {
        Soap::V11 => SOAP11,
        Soap::V12 => SOAP12,
    };
    xml.open(
        "soap:Envelope",
        &[
            ("xmlns:soap", ns),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
        ],
    );
    xml.open("soap:Body", &[]);
    xml.open(&format!("{operation}Response"), &[("xmlns", namespace)]);
    xml.open(&format!("{operation}Result"), &[]);
}

pub fn close_result(xml: &mut Xml, operation: &str) {
    xml.close(&format!("{operation}Result"));
    xml.close(&format!("{operation}Response"));
    xml.close("soap:Body");
    xml.close("soap:Envelope");
}

/// A whole answer whose result is `<Messages><Message>` (HTTP 200).
pub fn messages(operation: &str, namespace: &str, message: &str) -> String {
    let mut xml = Xml::new(1024);
    open_result(&mut xml, Soap::V11, operation, namespace);
    xml.open("Messages", &[("xmlns", "")]);
    xml.indent();
    xml.out.push_str(&format!(r#"<Message messageType="Error">{}</Message>"#, escape(message)));
    xml.close("Messages");
    close_result(&mut xml, operation);
    xml.finish()
}

/// A SOAP 1.1 fault (sent with HTTP 500).
pub fn fault(code: &str, message: &str) -> String {
    let mut xml = Xml::new(1024);
    xml.open(
        "soap:Envelope",
        &[
            ("xmlns:soap", SOAP11),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
        ],
    );
    xml.open("soap:Body", &[]);
    xml.open("soap:Fault", &[]);
    xml.text("faultcode", code);
    xml.text("faultstring", message);
    xml.empty("detail", &[]);
    xml.close("soap:Fault");
    xml.close("soap:Body");
    xml.close("soap:Envelope");
    xml.finish()
}

/// `YYYY-MM-DD`.
pub fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `MM/DD/YYYY`.
pub fn us(date: NaiveDate) -> String {
    date.format("%m/%d/%Y").to_string()
}

/// Cents as `1450.00`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

/// Cents as `1450.000000`, as MITS unit information writes amounts.
pub fn money6(cents: i64) -> String {
    format!("{}0000", money(cents))
}

/// A number as `1.500000`.
pub fn number6(value: f64) -> String {
    format!("{value:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_look_like_yardi() {
        assert_eq!(money(145_000), "1450.00");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money6(85_000), "850.000000");
        assert_eq!(number6(1.5), "1.500000");
        let date = NaiveDate::from_ymd_opt(2024, 8, 5).expect("date");
        assert_eq!((iso(date), us(date)), ("2024-08-05".to_owned(), "08/05/2024".to_owned()));
    }

    #[test]
    fn text_is_escaped() {
        let mut xml = Xml::inner(64);
        xml.text("LastName", "O'Brien & <Sons>");
        assert_eq!(xml.finish().trim(), "<LastName>O&apos;Brien &amp; &lt;Sons&gt;</LastName>");
    }
}
