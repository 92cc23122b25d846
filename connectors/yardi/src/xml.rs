//! Reading Yardi's SOAP answers with the shared streaming reader of `pmsgraph-connector-core`
//! ([`pmsgraph_connector_core::xml`]: local names, escaped `...Result` documents, trimmed text,
//! one record held at a time), and judging them the Yardi way: `<Messages><Message>..</Message>
//! </Messages>` in place of the data and `soap:Fault` are answers of their own ([`Outcome`]),
//! which [`read`] turns into [`YardiError`]s (an answer saying that nothing matched is an empty
//! answer, not an error).

pub use pmsgraph_connector_core::xml::{NOT_KEPT, Node, Outcome, RecordSpec, XmlError};

use crate::error::YardiError;
use crate::soap::Operation;

impl From<XmlError> for YardiError {
    fn from(err: XmlError) -> Self {
        YardiError::Malformed { path: err.path, message: err.message }
    }
}

/// Reads an answer to `operation`, handing each record (the index of its spec in `specs`, the
/// record, its path) to `on_record`; a fault or an error message ends as the matching error.
pub fn read(
    body: &[u8],
    operation: Operation,
    specs: &[RecordSpec],
    on_record: &mut dyn FnMut(usize, Node, &str) -> Result<(), YardiError>,
) -> Result<(), YardiError> {
    let outcome = scan(body, specs, on_record)?;
    if let Some((code, message)) = outcome.fault {
        return Err(YardiError::Fault { operation, code, message, http_status: None });
    }
    if outcome.records == 0
        && let Some(first) = outcome.messages.first()
    {
        if outcome.messages.iter().all(|m| YardiError::means_empty(m)) {
            return Ok(());
        }
        let message = outcome.messages.iter().find(|m| !YardiError::means_empty(m)).unwrap_or(first);
        return Err(YardiError::from_message(operation, message.clone()));
    }
    Ok(())
}

/// Reads a document without judging it: records, messages and fault.
pub fn scan(
    body: &[u8],
    specs: &[RecordSpec],
    on_record: &mut dyn FnMut(usize, Node, &str) -> Result<(), YardiError>,
) -> Result<Outcome, YardiError> {
    pmsgraph_connector_core::xml::scan(body, specs, on_record)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[RecordSpec] = &[RecordSpec { parent: "Items", name: "Item" }];

    fn records(body: &str) -> Result<Vec<(Node, String)>, YardiError> {
        let mut out = Vec::new();
        read(body.as_bytes(), Operation::GetResidents, SPECS, &mut |_, node, path| {
            out.push((node, path.to_owned()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn local_names_match_whatever_the_prefix() {
        let body = r#"<s:Envelope xmlns:s="x"><s:Body><a:R xmlns:a="y"><a:Items><a:Item Code=" 7 "><a:Name>  Ann &amp; Bo </a:Name><Empty/></a:Item><Item><Name>B</Name></Item></a:Items></a:R></s:Body></s:Envelope>"#;
        let items = records(body).expect("reads");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0.attr("Code"), Some("7"));
        assert_eq!(items[0].0.text_at("Name"), Some("Ann & Bo"));
        assert_eq!(items[0].0.text_at("Empty"), None);
        assert_eq!(items[1].1, "Envelope/Body/R/Items/Item[2]");
        assert_eq!(items[0].0.to_json(), serde_json::json!({"@Code": "7", "Name": "Ann & Bo", "Empty": ""}));
    }

    #[test]
    fn an_escaped_result_is_read_as_a_document() {
        let body = "<Envelope><Body><GetResidentsResponse><GetResidentsResult>&lt;Items&gt;&lt;Item&gt;&lt;Name&gt;A&amp;amp;B&lt;/Name&gt;&lt;/Item&gt;&lt;/Items&gt;</GetResidentsResult></GetResidentsResponse></Body></Envelope>";
        let items = records(body).expect("reads");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].0.text_at("Name"), Some("A&B"));
        assert_eq!(items[0].1, "Envelope/Body/GetResidentsResponse/GetResidentsResult/Items/Item[1]");
    }

    #[test]
    fn messages_and_faults_are_errors_and_no_tenants_is_empty() {
        let denied = "<Envelope><Body><R><RResult><Messages><Message messageType=\"Error\">Invalid or no access to Yardi Property</Message></Messages></RResult></R></Body></Envelope>";
        let err = records(denied).expect_err("denied");
        assert_eq!(err.code(), "YARDI_ACCESS_DENIED");
        let empty = "<Envelope><Body><R><RResult><Messages><Message>No tenants exist with the given search criteria</Message></Messages></RResult></R></Body></Envelope>";
        assert!(records(empty).expect("empty").is_empty());
        let fault = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">Server was unable to process request.</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#;
        let err = records(fault).expect_err("a fault");
        assert_eq!(
            err,
            YardiError::Fault {
                operation: Operation::GetResidents,
                code: Some("soap:Receiver".into()),
                message: "Server was unable to process request.".into(),
                http_status: None,
            }
        );
    }

    #[test]
    fn broken_xml_names_where_it_broke() {
        let err = records("<Envelope><Body><Items><Item><Name>A</Nome></Item></Items></Body></Envelope>")
            .expect_err("broken");
        let YardiError::Malformed { path, .. } = err else { panic!("{err:?}") };
        assert!(path.starts_with("Envelope/Body/Items"), "{path}");
    }
}
