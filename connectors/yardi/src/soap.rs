//! Yardi's SOAP operations and the request envelope (the Yardi section of
//! `shared/fixtures/pms/README.md`).
//!
//! Every call is `POST {service}/{Interface}.asmx` with `Content-Type: text/xml; charset=utf-8` and
//! `SOAPAction: http://tempuri.org/YSI.Interfaces.WebServices/{Interface}/{Operation}`; the body is
//! a SOAP 1.1 envelope whose one element, named after the operation in the interface's namespace,
//! carries the credentials (every call) and the operation's parameters, in the order Yardi's WSDL
//! lists them. [`envelope`] writes any such body from an ordered list of (name, value) pairs, with
//! the shared envelope writer of `pmsgraph_connector_core::soap`.
//!
//! `ItfResidentData` operations have no `_Login` suffix; `ItfResidentTransactions20` ones do.

use std::fmt;

use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::soap::{Element, Envelope, SOAP11_NS};

/// The namespace every Yardi interface lives under.
pub const NAMESPACE_ROOT: &str = "http://tempuri.org/YSI.Interfaces.WebServices";

/// A Yardi web-service interface (one `.asmx` endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interface {
    ResidentData,
    ResidentTransactions20,
}

impl Interface {
    pub const fn name(self) -> &'static str {
        match self {
            Interface::ResidentData => "ItfResidentData",
            Interface::ResidentTransactions20 => "ItfResidentTransactions20",
        }
    }

    /// The interface's XML namespace, e.g. `http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData`.
    pub fn namespace(self) -> String {
        format!("{NAMESPACE_ROOT}/{}", self.name())
    }
}

/// The operations pmsgraph calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// ItfResidentData: the properties the interface may read.
    GetPropertyConfigurations,
    /// ItfResidentTransactions20: a property's units.
    GetUnitInformationLogin,
    /// ItfResidentData: a property's tenants (leases) with their roommates.
    GetResidents,
    /// ItfResidentData: one tenant's lease file.
    GetResidentData,
    /// ItfResidentTransactions20: a property's tenants with their units and transactions.
    GetResidentTransactionsLogin,
}

impl Operation {
    pub const ALL: [Operation; 5] = [
        Operation::GetPropertyConfigurations,
        Operation::GetUnitInformationLogin,
        Operation::GetResidents,
        Operation::GetResidentData,
        Operation::GetResidentTransactionsLogin,
    ];

    /// The operation's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::GetPropertyConfigurations => "GetPropertyConfigurations",
            Operation::GetUnitInformationLogin => "GetUnitInformation_Login",
            Operation::GetResidents => "GetResidents",
            Operation::GetResidentData => "GetResidentData",
            Operation::GetResidentTransactionsLogin => "GetResidentTransactions_Login",
        }
    }

    pub const fn interface(self) -> Interface {
        match self {
            Operation::GetPropertyConfigurations | Operation::GetResidents | Operation::GetResidentData => {
                Interface::ResidentData
            }
            Operation::GetUnitInformationLogin | Operation::GetResidentTransactionsLogin => {
                Interface::ResidentTransactions20
            }
        }
    }

    /// The resource a refusal of this operation denies.
    pub const fn resource(self) -> Resource {
        match self {
            Operation::GetPropertyConfigurations => Resource::Properties,
            Operation::GetUnitInformationLogin => Resource::Units,
            Operation::GetResidents | Operation::GetResidentTransactionsLogin => Resource::Leases,
            Operation::GetResidentData => Resource::Residents,
        }
    }

    /// The `SOAPAction` header value.
    pub fn soap_action(self) -> String {
        format!("{}/{}", self.interface().namespace(), self.name())
    }

    /// The answer's wrapper elements: `{Op}Response` and `{Op}Result`.
    pub fn result_element(self) -> String {
        format!("{}Result", self.name())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The credentials every call carries, in the body.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
    pub server_name: String,
    pub database: String,
    pub platform: String,
    pub interface_entity: String,
    pub interface_license: String,
}

/// Never prints the password or the licence.
impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("server_name", &self.server_name)
            .field("database", &self.database)
            .field("platform", &self.platform)
            .field("interface_entity", &self.interface_entity)
            .finish_non_exhaustive()
    }
}

/// One call: the operation and its parameters after the credentials, in WSDL order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub operation: Operation,
    pub params: Vec<(&'static str, String)>,
}

impl Call {
    /// The body's elements in order: the credentials where the operation's WSDL puts them, then
    /// the parameters.
    pub fn elements<'a>(&'a self, login: &'a Login) -> Vec<(&'static str, &'a str)> {
        let mut out: Vec<(&'static str, &'a str)> = vec![
            ("UserName", &login.username),
            ("Password", &login.password),
            ("ServerName", &login.server_name),
            ("Database", &login.database),
            ("Platform", &login.platform),
        ];
        let property = self.params.iter().find(|(name, _)| *name == "YardiPropertyId");
        // GetResidents lists the property before the interface credentials (the public clients
        // agree); every other operation after them.
        if self.operation == Operation::GetResidents
            && let Some((name, value)) = property
        {
            out.push((name, value));
        }
        out.push(("InterfaceEntity", &login.interface_entity));
        out.push(("InterfaceLicense", &login.interface_license));
        for (name, value) in &self.params {
            if self.operation == Operation::GetResidents && *name == "YardiPropertyId" {
                continue;
            }
            out.push((name, value));
        }
        out
    }

    pub fn property_configurations() -> Call {
        Call { operation: Operation::GetPropertyConfigurations, params: Vec::new() }
    }

    pub fn unit_information(property: &str) -> Call {
        Call { operation: Operation::GetUnitInformationLogin, params: vec![("YardiPropertyId", property.to_owned())] }
    }

    pub fn residents(property: &str) -> Call {
        Call { operation: Operation::GetResidents, params: vec![("YardiPropertyId", property.to_owned())] }
    }

    pub fn resident_transactions(property: &str) -> Call {
        Call {
            operation: Operation::GetResidentTransactionsLogin,
            params: vec![("YardiPropertyId", property.to_owned())],
        }
    }

    /// One tenant's lease file, with its roommates.
    pub fn resident_data(property: &str, tenant: &str) -> Call {
        let flag = |b: bool| if b { "true" } else { "false" }.to_owned();
        Call {
            operation: Operation::GetResidentData,
            params: vec![
                ("YardiPropertyId", property.to_owned()),
                ("TenantCode", tenant.to_owned()),
                ("IncludeLedger", flag(false)),
                ("IncludeLeaseCharges", flag(true)),
                ("IncludeVehicleInfo", flag(false)),
                ("IncludeRoommateData", flag(true)),
                ("IncludeEmployerData", flag(false)),
            ],
        }
    }
}

/// A SOAP 1.1 envelope around one element named `operation` in `namespace` (the default
/// namespace of that element), with one child per (name, value), text escaped.
pub fn envelope<'a>(
    operation: &str,
    namespace: &str,
    elements: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let envelope = Envelope {
        prefix: "soap",
        namespaces: vec![
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
            ("xmlns:soap", SOAP11_NS),
        ],
        xml_declaration: true,
        header: false,
    };
    let children = elements.into_iter().map(|(name, value)| Element::leaf(name, value)).collect();
    envelope.write(&Element::group(operation, children).attr("xmlns", namespace))
}

/// The envelope of `call` with `login`.
pub fn request_body(call: &Call, login: &Login) -> String {
    envelope(call.operation.name(), &call.operation.interface().namespace(), call.elements(login))
}
