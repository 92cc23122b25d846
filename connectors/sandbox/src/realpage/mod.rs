//! The RealPage RPX (OneSite) simulator: the sandbox world in RealPage's SOAP wire format, as the
//! RealPage section of `shared/fixtures/pms/README.md` and the reconstructed requests in
//! `shared/fixtures/pms/realpage` describe it (DESIGN.md, "Built-in sandbox PMSs").
//!
//! Written from its own code, never from the RealPage connector's (this crate depends on no
//! connector), so that a connector bug is not mirrored here. This module reads requests (the
//! envelope, `SOAPAction`, the auth block, faults) and picks the records; [`wire`] writes them.
//!
//! # Endpoint
//!
//! Mounted under `/sandbox/realpage` (the gateway URL of a sandbox customer):
//! `POST /rpxgateway/partner/{Partner}/{Partner}.svc`, any partner name, with
//! `SOAPAction: http://tempuri.org/IRPXService/{operation}` and a SOAP 1.1 body whose auth block
//! is `pmcid` (any), `siteid`, `licensekey` (a sandbox credential of [`crate::faults`]:
//! `sandbox[+options]`) and `system` `Onesite`.
//!
//! | operation | parameters | answer |
//! |---|---|---|
//! | getsitelist | - (`siteid` any) | `SiteList/Site` |
//! | unitlist | `siteid` | `UnitList/Unit`, `Vacant`/`Available` "T"/"F" |
//! | getresidentlistinfo | `siteid`, `status` C, P, F or ALL | `residentlist/resident`, lower-case elements, dates MM/DD/YYYY |
//! | getleaseinfo | `siteid`, `residentstatus`, `residentheldthestatus` (days, default 365) | `GetLeaseInfo/Leases/Lease`, dates `YYYY-MM-DDT00:00:00` |
//!
//! A call answers one site whole (RPX has no paging). Answers are dated (`Date`) at the world's
//! instant: the sandbox's clock is its timeline's.
//!
//! # Codes
//!
//! A site is its world id; a unit its world id (unique across sites); a household (`residentid`,
//! getleaseinfo's `ReshID`) is a lease's world id; a person's `residentmemberid` is per household,
//! `{lease id}{position:02}`, so one person on two leases has two ids, as in OneSite; a
//! `LeaseID` is one term of the lease (a renewal is a new `LeaseID` with `PriorLeaseID`).
//!
//! # What RealPage shows
//!
//! Status words (per person, on their row): Current (notice: Current with a `noticegivendate`),
//! Future Lease, Applicant (every third application `Applicant - Lease Signed`), Former, Former
//! Applicant. The head of household comes first in their household's rows and is named by
//! `HeadofHouseholdName`; lease signers' rows carry the lease's `rent` and balances, occupants'
//! rows none. Guarantors are not residents in OneSite and are not listed. A unit leased by the bed
//! is one unit. getleaseinfo lists a lease only while its resident has held their status for at
//! most `residentheldthestatus` days ([`held_since`]); the resident list lists everyone.
//!
//! # Faults
//!
//! Every error is a `s:Fault` with HTTP 500, as WCF answers: a licence key that is not a sandbox
//! credential ("Invalid license key"), a `deny=` resource ("Access denied: the license key is not
//! authorized for {operation} at site {site}."), an unknown site ("Invalid site id"), a malformed
//! request, a wrong `SOAPAction` or `fault=`; `ratelimit` and `flaky` are HTTP 429 and 503.
//! `malformed={operation}` breaks the first record (`13/45/2024` as a date, `X` as a flag, no
//! site id).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, NaiveDate, Utc};
use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};

use crate::faults::Profile;
use crate::soap::{Request, bare_status, one_shot, read_request, xml_response};
use crate::state::SandboxState;
use crate::world::{Lease, LeaseResident, Property, World};

pub mod wire;

/// The contract the `SOAPAction`s name.
pub const ACTION_ROOT: &str = "http://tempuri.org/IRPXService";
/// getleaseinfo's look-back when the request does not say.
pub const DEFAULT_LOOKBACK_DAYS: i64 = 365;

/// The routes, to be nested under `/sandbox/realpage`.
pub fn routes() -> Router<SandboxState> {
    Router::new().route("/rpxgateway/partner/{partner}/{file}", post(serve))
}

// ----- codes -----

pub fn site_id(property: &Property) -> String {
    property.id.to_string()
}

pub fn household_id(lease: &Lease) -> String {
    lease.id.to_string()
}

/// The member id of the person at `index` of a lease's people.
pub fn member_id(lease: &Lease, index: usize) -> String {
    format!("{}{:02}", lease.id, index % 100)
}

/// The people RealPage lists for a lease, head of household first: (index in the lease, person).
/// Guarantors are not residents.
pub fn members(lease: &Lease) -> Vec<(usize, &LeaseResident)> {
    let head = lease.residents.iter().position(|r| r.role == ResidentRole::Primary).unwrap_or(0);
    std::iter::once(head)
        .chain((0..lease.residents.len()).filter(|i| *i != head))
        .filter_map(|i| lease.residents.get(i).map(|r| (i, r)))
        .filter(|(_, r)| r.role != ResidentRole::Guarantor)
        .collect()
}

/// RealPage's word for a status (of a lease, or of one person on it).
pub fn status_word(lease: &Lease, status: LeaseStatus) -> &'static str {
    match status {
        LeaseStatus::Applicant if lease.id.is_multiple_of(3) => "Applicant - Lease Signed",
        LeaseStatus::Applicant => "Applicant",
        LeaseStatus::Future => "Future Lease",
        LeaseStatus::Current | LeaseStatus::Notice => "Current",
        LeaseStatus::Past => "Former",
        LeaseStatus::Cancelled => "Former Applicant",
    }
}

/// Since when the lease's resident has held their status: the latest of its dates that has come
/// (application, start, move-in, notice, move-out).
pub fn held_since(lease: &Lease, today: NaiveDate) -> Option<NaiveDate> {
    let term = lease.current_term();
    [Some(term.applied_on), term.approved_on, Some(term.start), lease.move_in, lease.notice, lease.move_out]
        .into_iter()
        .flatten()
        .filter(|d| *d <= today)
        .max()
}

/// Whether getleaseinfo with a look-back of `days` lists the lease.
pub fn in_lookback(lease: &Lease, today: NaiveDate, days: i64) -> bool {
    held_since(lease, today).is_none_or(|since| (today - since).num_days() <= days)
}

// ----- operations -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    SiteList,
    UnitList,
    ResidentList,
    LeaseInfo,
}

impl Operation {
    fn from_name(name: &str) -> Option<Operation> {
        Some(match name {
            "getsitelist" => Operation::SiteList,
            "unitlist" => Operation::UnitList,
            "getresidentlistinfo" => Operation::ResidentList,
            "getleaseinfo" => Operation::LeaseInfo,
            _ => return None,
        })
    }

    const fn name(self) -> &'static str {
        match self {
            Operation::SiteList => "getsitelist",
            Operation::UnitList => "unitlist",
            Operation::ResidentList => "getresidentlistinfo",
            Operation::LeaseInfo => "getleaseinfo",
        }
    }

    const fn resource(self) -> Resource {
        match self {
            Operation::SiteList => Resource::Properties,
            Operation::UnitList => Resource::Units,
            Operation::ResidentList => Resource::Residents,
            Operation::LeaseInfo => Resource::Leases,
        }
    }
}

/// An answer other than the data.
enum Failure {
    /// `s:Fault` with HTTP 500.
    Fault { code: &'static str, message: String },
    /// A bare HTTP status (the injected 429 and 503).
    Status(StatusCode),
}

fn client_fault(message: String) -> Failure {
    Failure::Fault { code: "s:Client", message }
}

async fn serve(
    State(state): State<SandboxState>,
    Path((partner, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&state, &partner, &file, &headers, &body).await {
        Ok((body, as_of)) => {
            // The sandbox's clock is its world's: the answer is dated at the step's instant.
            let mut response = xml_response(StatusCode::OK, body);
            let date = as_of.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            if let Ok(value) = HeaderValue::from_str(&date) {
                response.headers_mut().insert(header::DATE, value);
            }
            response
        }
        Err(Failure::Fault { code, message }) => {
            xml_response(StatusCode::INTERNAL_SERVER_ERROR, wire::fault(code, &message))
        }
        Err(Failure::Status(status)) => bare_status(status),
    }
}

async fn answer(
    state: &SandboxState,
    partner: &str,
    file: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, DateTime<Utc>), Failure> {
    if file != format!("{partner}.svc") {
        return Err(client_fault(format!("There is no RPX partner service at `{partner}/{file}`.")));
    }
    let request = read_request(body).map_err(|e| client_fault(format!("The request could not be read: {e}")))?;
    let operation = Operation::from_name(&request.operation).ok_or_else(|| {
        client_fault(format!("The operation `{}` is not part of the IRPXService contract.", request.operation))
    })?;
    let expected = format!("{ACTION_ROOT}/{}", operation.name());
    let action = headers.get("soapaction").and_then(|v| v.to_str().ok()).map(|v| v.trim().trim_matches('"'));
    if action != Some(expected.as_str()) {
        let message = format!(
            "The message with Action '{}' cannot be processed at the receiver (ContractFilter mismatch).",
            action.unwrap_or_default()
        );
        return Err(client_fault(message));
    }
    respond(state, operation, &request).await
}

async fn respond(
    state: &SandboxState,
    operation: Operation,
    request: &Request,
) -> Result<(String, DateTime<Utc>), Failure> {
    let key = request.field("licensekey").unwrap_or_default();
    let profile = key.parse::<Profile>().map_err(|e| client_fault(format!("Invalid license key: {e}.")))?;
    if request.field("pmcid").is_none() {
        return Err(client_fault("Invalid PMC id: the auth block names no pmcid.".into()));
    }
    if !request.field("system").is_some_and(|s| s.eq_ignore_ascii_case("onesite")) {
        return Err(client_fault("The auth block's system must be Onesite.".into()));
    }
    if let Some(delay) = profile.slow {
        tokio::time::sleep(delay).await;
    }
    let name = operation.name();
    if let Some(status) = one_shot(state, &profile, key, name) {
        return Err(Failure::Status(status));
    }
    if profile.faults(name) {
        return Err(Failure::Fault {
            code: "s:Server",
            message: format!(
                "The server was unable to process the request due to an internal error ({name}, sandbox fault injection)."
            ),
        });
    }
    let site = request.field("siteid").unwrap_or_default();
    if profile.denies(operation.resource()) {
        return Err(client_fault(format!(
            "Access denied: the license key is not authorized for {name} at site {site}."
        )));
    }
    let corrupt = profile.malformed_page(name, 1);
    let world = state.world().await;
    if operation == Operation::SiteList {
        return Ok((wire::site_list(&world, corrupt), world.as_of));
    }
    let pi = world
        .properties
        .iter()
        .position(|p| site_id(p) == site)
        .ok_or_else(|| client_fault(format!("Invalid site id `{site}` for this PMC.")))?;
    let body = match operation {
        Operation::SiteList => wire::site_list(&world, corrupt),
        Operation::UnitList => wire::unit_list(&world, pi, corrupt),
        Operation::ResidentList => {
            let wanted = request.field("status").unwrap_or("ALL");
            let statuses = resident_statuses(wanted)
                .ok_or_else(|| client_fault(format!("Invalid status `{wanted}`: C, P, F or ALL.")))?;
            wire::resident_list(&world, pi, statuses, corrupt)
        }
        Operation::LeaseInfo => {
            let days = match request.field("residentheldthestatus") {
                None => DEFAULT_LOOKBACK_DAYS,
                Some(text) => text
                    .parse::<i64>()
                    .ok()
                    .filter(|d| *d >= 0)
                    .ok_or_else(|| client_fault(format!("Invalid residentheldthestatus `{text}`.")))?,
            };
            wire::lease_info(&world, pi, days, corrupt)
        }
    };
    Ok((body, world.as_of))
}

/// The statuses `getresidentlistinfo`'s `status` selects: C current (with notice), P pending
/// (future and applicants), F former (and cancelled), ALL.
fn resident_statuses(word: &str) -> Option<&'static [LeaseStatus]> {
    use LeaseStatus::*;
    Some(match word.to_ascii_uppercase().as_str() {
        "ALL" => &[Applicant, Future, Current, Notice, Past, Cancelled],
        "C" => &[Current, Notice],
        "P" => &[Applicant, Future],
        "F" => &[Past, Cancelled],
        _ => return None,
    })
}

/// The people of the world a lease names, for writers.
fn person_of<'w>(world: &'w World, r: &LeaseResident) -> Option<&'w crate::world::Person> {
    world.person(r.person_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Size;

    #[test]
    fn ids_words_and_the_window() {
        let world = World::generate(4, Size::SMALL, 0);
        let lease = &world.leases[0];
        assert_eq!(member_id(lease, 1), format!("{}01", lease.id));
        assert!(members(lease).iter().all(|(_, r)| r.role != ResidentRole::Guarantor));
        let words: std::collections::BTreeSet<_> = world.leases.iter().map(|l| status_word(l, l.status)).collect();
        assert!(words.contains("Current") && words.contains("Former Applicant"), "{words:?}");
        let outside = world.leases.iter().filter(|l| !in_lookback(l, world.today, DEFAULT_LOOKBACK_DAYS)).count();
        assert!(outside > 0 && outside < world.leases.len(), "{outside} of {} outside", world.leases.len());
    }
}
