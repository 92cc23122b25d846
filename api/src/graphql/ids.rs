//! Global object ids (`node(id:)`) and pagination cursors.
//!
//! A global id is base64url of `Type:uuid`: opaque to clients, but it names the type, so an id of
//! the wrong type is refused clearly instead of matching nothing. A cursor is base64url of the row's
//! uuid (keyset pagination over time-ordered v7 ids).

use async_graphql::ID;
use async_graphql::connection::CursorType;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    Customer,
    Integration,
    Property,
    Unit,
    UnitSpace,
    Resident,
    Lease,
    LeaseResident,
    SyncJob,
    Event,
    WebhookEndpoint,
    WebhookDelivery,
}

impl NodeType {
    const ALL: [NodeType; 12] = [
        NodeType::Customer,
        NodeType::Integration,
        NodeType::Property,
        NodeType::Unit,
        NodeType::UnitSpace,
        NodeType::Resident,
        NodeType::Lease,
        NodeType::LeaseResident,
        NodeType::SyncJob,
        NodeType::Event,
        NodeType::WebhookEndpoint,
        NodeType::WebhookDelivery,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            NodeType::Customer => "Customer",
            NodeType::Integration => "Integration",
            NodeType::Property => "Property",
            NodeType::Unit => "Unit",
            NodeType::UnitSpace => "UnitSpace",
            NodeType::Resident => "Resident",
            NodeType::Lease => "Lease",
            NodeType::LeaseResident => "LeaseResident",
            NodeType::SyncJob => "SyncJob",
            NodeType::Event => "Event",
            NodeType::WebhookEndpoint => "WebhookEndpoint",
            NodeType::WebhookDelivery => "WebhookDelivery",
        }
    }

    /// The lowercase word used in NOT_FOUND messages.
    pub const fn noun(self) -> &'static str {
        match self {
            NodeType::Customer => "customer",
            NodeType::Integration => "integration",
            NodeType::Property => "property",
            NodeType::Unit => "unit",
            NodeType::UnitSpace => "unit space",
            NodeType::Resident => "resident",
            NodeType::Lease => "lease",
            NodeType::LeaseResident => "lease resident",
            NodeType::SyncJob => "sync job",
            NodeType::Event => "event",
            NodeType::WebhookEndpoint => "webhook endpoint",
            NodeType::WebhookDelivery => "webhook delivery",
        }
    }
}

pub fn encode(node: NodeType, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", node.name(), id.as_hyphenated())))
}

pub fn decode(id: &str) -> Result<(NodeType, Uuid), ApiError> {
    let invalid = || ApiError::bad_input(format!("`{id}` is not a valid id"));
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&raw).map_err(|_| invalid())?;
    let (name, uuid) = text.split_once(':').ok_or_else(invalid)?;
    let node = NodeType::ALL.into_iter().find(|n| n.name() == name).ok_or_else(invalid)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| invalid())?;
    Ok((node, uuid))
}

/// Decodes an id that must be of one type (a filter argument, say).
pub fn expect(id: &ID, node: NodeType, argument: &str) -> Result<Uuid, ApiError> {
    match decode(id)? {
        (found, uuid) if found == node => Ok(uuid),
        (found, _) => Err(ApiError::bad_input(format!(
            "`{argument}` takes a {} id, but `{}` is a {} id",
            node.name(),
            id.as_str(),
            found.name()
        ))),
    }
}

/// A keyset cursor: the uuid of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdCursor(pub Uuid);

impl CursorType for IdCursor {
    type Error = ApiError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        URL_SAFE_NO_PAD
            .decode(s.trim())
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(IdCursor)
            .ok_or_else(|| ApiError::bad_input(format!("`{s}` is not a valid cursor")))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_name_their_type() {
        let uuid = Uuid::now_v7();
        let id = encode(NodeType::Lease, uuid);
        assert_eq!(decode(&id).expect("decodes"), (NodeType::Lease, uuid));
        assert_eq!(expect(&id, NodeType::Lease, "leaseId").expect("a lease id"), uuid);
        let err = expect(&id, NodeType::Unit, "unitId").expect_err("not a unit id");
        assert!(err.to_string().contains("is a Lease id"), "{err}");
    }

    #[test]
    fn garbage_ids_and_cursors_are_bad_input() {
        for bad in ["", "???", "UHJvcGVydHk6bm90LWEtdXVpZA", "Tm9wZToxMjM"] {
            assert_eq!(decode(bad).expect_err(bad).code(), "BAD_USER_INPUT");
        }
        assert!(IdCursor::decode_cursor("abc").is_err());
        let cursor = IdCursor(Uuid::now_v7());
        assert_eq!(IdCursor::decode_cursor(&cursor.encode_cursor()).expect("decodes"), cursor);
    }
}
