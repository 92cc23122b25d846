//! RealPage's RPX operations and their request envelopes (the RealPage section of
//! `shared/fixtures/pms/README.md`, and `shared/fixtures/pms/realpage/rpx.requests.reconstructed.xml`).
//!
//! Every call is `POST {gateway}/rpxgateway/partner/{Partner}/{Partner}.svc` with
//! `SOAPAction: http://tempuri.org/IRPXService/{operation}`; the body is a SOAP 1.1 envelope
//! (`soapenv:` and `tem:` prefixes, an empty `soapenv:Header`) whose one element, the operation
//! in the `http://tempuri.org/` namespace, carries the `auth` block (pmcid, siteid, licensekey,
//! system `Onesite`) and, for the resident and lease lists, a nested element of the operation's
//! own name with its parameters. Operation and element names are lower case.
//!
//! The site a call reads is the `siteid` of its auth block: per-site calls name the site being
//! read, getsitelist the site of the credentials.

use std::fmt;

use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::soap::{Element, Envelope, SOAP11_NS};

/// The namespace of RealPage's service contract.
pub const NAMESPACE: &str = "http://tempuri.org/";
/// The service contract the `SOAPAction`s name.
pub const CONTRACT: &str = "IRPXService";
/// The `system` of the auth block.
pub const SYSTEM: &str = "Onesite";
/// The `getresidentlistinfo` status that lists everyone: current, future (pending) and former.
pub const ALL_STATUSES: &str = "ALL";

/// The operations pmsgraph calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// The sites (properties) of the management company.
    GetSiteList,
    /// A site's units.
    UnitList,
    /// A site's residents, one row per person per household (lease).
    GetResidentListInfo,
    /// A site's leases whose status changed within a look-back window.
    GetLeaseInfo,
}

impl Operation {
    pub const ALL: [Operation; 4] =
        [Operation::GetSiteList, Operation::UnitList, Operation::GetResidentListInfo, Operation::GetLeaseInfo];

    /// The operation's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::GetSiteList => "getsitelist",
            Operation::UnitList => "unitlist",
            Operation::GetResidentListInfo => "getresidentlistinfo",
            Operation::GetLeaseInfo => "getleaseinfo",
        }
    }

    /// The resource a refusal of this operation denies.
    pub const fn resource(self) -> Resource {
        match self {
            Operation::GetSiteList => Resource::Properties,
            Operation::UnitList => Resource::Units,
            Operation::GetResidentListInfo => Resource::Residents,
            Operation::GetLeaseInfo => Resource::Leases,
        }
    }

    /// The `SOAPAction` header value.
    pub fn soap_action(self) -> String {
        format!("{NAMESPACE}{CONTRACT}/{}", self.name())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The auth block every call carries.
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    pub pmc_id: String,
    pub license_key: String,
}

/// Never prints the licence key.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth").field("pmc_id", &self.pmc_id).finish_non_exhaustive()
    }
}

/// One call: the operation, the site of its auth block and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub operation: Operation,
    pub site_id: String,
    pub params: Vec<(&'static str, String)>,
}

impl Call {
    pub fn site_list(site_id: &str) -> Call {
        Call { operation: Operation::GetSiteList, site_id: site_id.to_owned(), params: Vec::new() }
    }

    pub fn unit_list(site_id: &str) -> Call {
        Call { operation: Operation::UnitList, site_id: site_id.to_owned(), params: Vec::new() }
    }

    /// Every resident of the site, of every status, each member of a household (not only its head).
    pub fn resident_list(site_id: &str) -> Call {
        Call {
            operation: Operation::GetResidentListInfo,
            site_id: site_id.to_owned(),
            params: vec![("status", ALL_STATUSES.to_owned()), ("headofhousehold", "0".to_owned())],
        }
    }

    /// The site's leases whose resident held their status within the last `lookback_days`.
    pub fn lease_info(site_id: &str, lookback_days: u32) -> Call {
        Call {
            operation: Operation::GetLeaseInfo,
            site_id: site_id.to_owned(),
            params: vec![
                ("residentstatus", ALL_STATUSES.to_owned()),
                ("residentheldthestatus", lookback_days.to_string()),
            ],
        }
    }
}

/// The envelope of `call` with `auth`.
pub fn request_body(call: &Call, auth: &Auth) -> String {
    let tem = |name: &str| format!("tem:{name}");
    let auth_block = Element::group(
        tem("auth"),
        vec![
            Element::leaf(tem("pmcid"), auth.pmc_id.as_str()),
            Element::leaf(tem("siteid"), call.site_id.as_str()),
            Element::leaf(tem("licensekey"), auth.license_key.as_str()),
            Element::leaf(tem("system"), SYSTEM),
        ],
    );
    let mut children = vec![auth_block];
    if !call.params.is_empty() {
        let params = call.params.iter().map(|(name, value)| Element::leaf(tem(name), value.as_str())).collect();
        children.push(Element::group(tem(call.operation.name()), params));
    }
    let envelope = Envelope {
        prefix: "soapenv",
        namespaces: vec![("xmlns:soapenv", SOAP11_NS), ("xmlns:tem", NAMESPACE)],
        xml_declaration: false,
        header: true,
    };
    envelope.write(&Element::group(tem(call.operation.name()), children))
}
