//! Access control in GraphQL (DESIGN.md, "Access-control semantics"): access windows of lease
//! residents, a person's active lease, who may enter a unit at an instant, app overrides, and
//! matching an app's people to residents.
//!
//! Windows depend on the instant asked about only through `open` and `occupants`, which mark the
//! response uncacheable; the bounds themselves depend only on stored data.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use pmsgraph_connector_core::{LeaseStatus, ResidentRole};
use pmsgraph_entity::{access_override, lease, lease_resident, property, resident};

use super::ids::{self, NodeType};
use super::rctx;
use super::types::{Lease, LeaseResident, Resident, UnitSpace};
use crate::access::{self, Override, Window, WindowFacts, WindowSource};
use crate::error::{ApiError, GqlResult};

macro_rules! load {
    ($rc:expr, $loader:ident, $id:expr) => {
        $rc.loaders.$loader.load_one($id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?
    };
}

/// The zone of a property: the app's override, else the PMS's or the inferred one; UTC if none is
/// known or the name is not an IANA zone.
fn zone_of(property: &property::Model) -> Tz {
    property
        .time_zone_override
        .as_deref()
        .or(property.time_zone.as_deref())
        .and_then(|z| z.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// The property's access times: its own, else its integration's, else 10:00 and 16:00.
async fn access_times(ctx: &Context<'_>, property: &property::Model) -> GqlResult<(NaiveTime, NaiveTime)> {
    let rc = rctx(ctx)?;
    let integration = load!(rc, integrations, property.integration_id);
    let (start, end) = integration.map_or(
        (crate::store::integrations::DEFAULT_ACCESS_START, crate::store::integrations::DEFAULT_ACCESS_END),
        |row| crate::store::integrations::access_times(&row.settings),
    );
    Ok((property.access_start_time.unwrap_or(start), property.access_end_time.unwrap_or(end)))
}

/// The access window of one person on one lease, and the override it includes, if any.
pub async fn window_of(
    ctx: &Context<'_>,
    person: &lease_resident::Model,
) -> GqlResult<Option<(Window, Option<access_override::Model>)>> {
    let rc = rctx(ctx)?;
    let Some(lease) = load!(rc, leases, person.lease_id) else { return Ok(None) };
    window_on(ctx, person, &lease).await
}

async fn window_on(
    ctx: &Context<'_>,
    person: &lease_resident::Model,
    lease: &lease::Model,
) -> GqlResult<Option<(Window, Option<access_override::Model>)>> {
    let rc = rctx(ctx)?;
    let Some(property) = load!(rc, properties, lease.property_id) else { return Ok(None) };
    let (Ok(status), Ok(role)) = (person.status.parse::<LeaseStatus>(), person.role.parse::<ResidentRole>()) else {
        return Ok(None);
    };
    let (access_start, access_end) = access_times(ctx, &property).await?;
    let past_seen_at = if status == LeaseStatus::Past {
        Some(load!(rc, past_seen, person.id).unwrap_or(person.created_at))
    } else {
        None
    };
    let facts = WindowFacts {
        status,
        role,
        person_move_in: person.move_in_date,
        person_move_out: person.move_out_date,
        lease_move_in: lease.move_in_date,
        lease_move_out: lease.move_out_date,
        lease_start: lease.start_date,
        lease_end: lease.end_date,
        zone: zone_of(&property),
        access_start,
        access_end,
        past_seen_at,
    };
    let overridden = load!(rc, overrides, person.id).unwrap_or_default().into_iter().next();
    let bounds = overridden.as_ref().map(|o| Override { starts_at: o.starts_at, ends_at: o.ends_at });
    Ok(access::window(&facts, bounds).map(|w| (w, overridden)))
}

/// When one person may enter their unit.
pub struct AccessWindow {
    pub window: Window,
    pub person: lease_resident::Model,
    pub overridden: Option<access_override::Model>,
}

#[Object]
impl AccessWindow {
    /// From when (UTC): the move-in date at the property's access start time, or the override's.
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.window.starts_at
    }
    /// Until when (UTC): the move-out date at the property's access end time, or the override's;
    /// null while open-ended (until the PMS says otherwise).
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.window.ends_at
    }
    /// Whether access is granted at this moment (computed per request, never cached).
    async fn open(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        rctx(ctx)?.cache.forbid();
        Ok(self.window.contains(Utc::now()))
    }
    /// PMS, or OVERRIDE where an app's override sets a bound.
    async fn source(&self) -> WindowSource {
        self.window.source
    }
    /// The app's override, if one is set.
    #[graphql(name = "override")]
    async fn access_override(&self) -> Option<AccessOverride> {
        self.overridden.clone().map(AccessOverride)
    }
    async fn lease_resident(&self) -> LeaseResident {
        LeaseResident(self.person.clone())
    }
}

/// An app's early move-in or late move-out for one lease resident; it survives every sync.
pub struct AccessOverride(pub access_override::Model);

#[Object]
impl AccessOverride {
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.ends_at
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A person who should have access to a unit at an instant.
pub struct UnitOccupant {
    window: AccessWindow,
    space_id: Option<uuid::Uuid>,
}

#[Object]
impl UnitOccupant {
    async fn resident(&self, ctx: &Context<'_>) -> GqlResult<Option<Resident>> {
        let rc = rctx(ctx)?;
        Ok(load!(rc, residents, self.window.person.resident_id).map(Resident))
    }
    async fn lease_resident(&self) -> LeaseResident {
        LeaseResident(self.window.person.clone())
    }
    async fn lease(&self, ctx: &Context<'_>) -> GqlResult<Option<Lease>> {
        let rc = rctx(ctx)?;
        Ok(load!(rc, leases, self.window.person.lease_id).map(Lease))
    }
    /// The bedroom space the person leases, in units let by the bed.
    async fn space(&self, ctx: &Context<'_>) -> GqlResult<Option<UnitSpace>> {
        let Some(id) = self.space_id else { return Ok(None) };
        let rc = rctx(ctx)?;
        Ok(load!(rc, unit_spaces, id).map(UnitSpace))
    }
    async fn access_window(&self) -> &AccessWindow {
        &self.window
    }
}

/// Who should have access to a unit at `at`: every person on a live lease of the unit whose
/// window contains the instant, by bedroom space (people of a whole-unit lease have none).
pub async fn occupants(ctx: &Context<'_>, unit_id: uuid::Uuid, at: DateTime<Utc>) -> GqlResult<Vec<UnitOccupant>> {
    let rc = rctx(ctx)?;
    let leases = load!(rc, leases_by_unit, unit_id).unwrap_or_default();
    let mut out = Vec::new();
    for lease in leases.iter().filter(|l| l.remote_deleted_at.is_none()) {
        for person in load!(rc, people_by_lease, lease.id).unwrap_or_default() {
            if person.remote_deleted_at.is_some() {
                continue;
            }
            if let Some((window, overridden)) = window_on(ctx, &person, lease).await?
                && window.contains(at)
            {
                out.push(UnitOccupant {
                    window: AccessWindow { window, person, overridden },
                    space_id: lease.unit_space_id,
                });
            }
        }
    }
    Ok(out)
}

/// Every access window of a person, one per lease they are on (none for applications, cancelled
/// leases and guarantees).
pub async fn windows_of_resident(ctx: &Context<'_>, resident_id: uuid::Uuid) -> GqlResult<Vec<AccessWindow>> {
    let rc = rctx(ctx)?;
    let mut out = Vec::new();
    for person in load!(rc, occupancies_by_resident, resident_id).unwrap_or_default() {
        if person.remote_deleted_at.is_some() {
            continue;
        }
        if let Some((window, overridden)) = window_of(ctx, &person).await? {
            out.push(AccessWindow { window, person, overridden });
        }
    }
    Ok(out)
}

/// A person's one active lease (DESIGN.md, "One active unit"): CURRENT over NOTICE over FUTURE,
/// then the latest move-in.
pub async fn active_lease(ctx: &Context<'_>, resident_id: uuid::Uuid) -> GqlResult<Option<Lease>> {
    let rc = rctx(ctx)?;
    let mut best: Option<(_, lease::Model)> = None;
    for person in load!(rc, occupancies_by_resident, resident_id).unwrap_or_default() {
        if person.remote_deleted_at.is_some() {
            continue;
        }
        let Some(lease) = load!(rc, leases, person.lease_id) else { continue };
        if lease.remote_deleted_at.is_some() {
            continue;
        }
        let move_in = person.move_in_date.or(lease.move_in_date).or(lease.start_date);
        let guarantor = person.role == ResidentRole::Guarantor.as_str();
        let Some(rank) = access::active_rank(person.status.parse().ok(), guarantor, move_in) else { continue };
        let key = (rank, lease.id);
        if best.as_ref().is_none_or(|(k, _)| key < *k) {
            best = Some((key, lease));
        }
    }
    Ok(best.map(|(_, lease)| Lease(lease)))
}

/// One of an app's people, to match to residents.
#[derive(InputObject)]
pub struct PersonInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// How well a person matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum MatchResult {
    /// Exactly one resident has the same first name, last name and email.
    Match,
    /// Candidates agree in part: a person must decide.
    Review,
    /// No resident agrees on email or on both names.
    None,
}

/// Why a candidate needs review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum MatchReason {
    SameEmailDifferentName,
    SameNameDifferentEmail,
    /// First name, last name and email agree, but so they do for another resident too (the
    /// customer's PMSs list the person more than once).
    SeveralExactMatches,
    /// The phone numbers (digits only) agree too.
    SamePhone,
}

/// A resident that agrees in part with a person, and how.
#[derive(SimpleObject)]
pub struct MatchCandidate {
    pub resident: Resident,
    pub reasons: Vec<MatchReason>,
}

/// The outcome of matching one person.
#[derive(SimpleObject)]
pub struct ResidentMatch {
    /// The person's place in the input list.
    pub index: i32,
    pub result: MatchResult,
    /// The resident, for a MATCH.
    pub resident: Option<Resident>,
    /// Residents that agree in part, for a REVIEW.
    pub candidates: Vec<MatchCandidate>,
}

/// Names and emails compared case- and whitespace-insensitively.
fn norm(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn digits(text: &str) -> String {
    let all: String = text.chars().filter(char::is_ascii_digit).collect();
    // A leading country code 1 (North America) does not make two numbers differ.
    if all.len() == 11 && all.starts_with('1') { all[1..].to_owned() } else { all }
}

/// The most people one `matchResidents` call takes.
pub const MAX_MATCH_PEOPLE: usize = 500;

/// Matches an app's people to the residents of one customer (DESIGN.md, "Matching").
pub async fn match_residents(
    ctx: &Context<'_>,
    customer_id: &ID,
    people: Vec<PersonInput>,
) -> GqlResult<Vec<ResidentMatch>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
    let rc = rctx(ctx)?;
    if people.len() > MAX_MATCH_PEOPLE {
        return Err(ApiError::bad_input(format!("match at most {MAX_MATCH_PEOPLE} people per call")).into());
    }
    let integrations = super::integrations_for(rc, Some(customer_id), None).await?;
    let mut candidates = Vec::new();
    for chunk in people.chunks(250) {
        let emails: Vec<String> = chunk.iter().map(|p| norm(&p.email)).filter(|e| !e.is_empty()).collect();
        let last_names: Vec<String> = chunk.iter().map(|p| norm(&p.last_name)).filter(|n| !n.is_empty()).collect();
        let found = resident::Entity::find()
            .filter(resident::Column::IntegrationId.is_in(integrations.clone()))
            .filter(resident::Column::RemoteDeletedAt.is_null())
            .filter(
                Condition::any()
                    .add(Expr::expr(Func::lower(Expr::col(resident::Column::Email))).is_in(emails))
                    .add(Expr::expr(Func::lower(Expr::col(resident::Column::LastName))).is_in(last_names)),
            )
            .all(&rc.db.read)
            .await?;
        candidates.extend(found);
    }
    candidates.sort_by_key(|r| r.id);
    candidates.dedup_by_key(|r| r.id);
    Ok(people.iter().enumerate().map(|(index, person)| match_one(index, person, &candidates)).collect())
}

fn match_one(index: usize, person: &PersonInput, residents: &[resident::Model]) -> ResidentMatch {
    let (first, last, email) = (norm(&person.first_name), norm(&person.last_name), norm(&person.email));
    let phone = person.phone.as_deref().map(digits).filter(|p| !p.is_empty());
    let mut exact = Vec::new();
    let mut partial = Vec::new();
    for r in residents {
        let same_email = !email.is_empty() && r.email.as_deref().map(norm).as_deref() == Some(email.as_str());
        let same_name = norm(&r.first_name) == first && norm(&r.last_name) == last;
        let mut reasons = match (same_email, same_name) {
            (true, true) => {
                exact.push(r);
                continue;
            }
            (true, false) => vec![MatchReason::SameEmailDifferentName],
            (false, true) => vec![MatchReason::SameNameDifferentEmail],
            (false, false) => continue,
        };
        if phone.is_some() && r.phone.as_deref().map(digits) == phone {
            reasons.push(MatchReason::SamePhone);
        }
        partial.push(MatchCandidate { resident: Resident(r.clone()), reasons });
    }
    let index = i32::try_from(index).unwrap_or(i32::MAX);
    match exact.as_slice() {
        [one] => ResidentMatch {
            index,
            result: MatchResult::Match,
            resident: Some(Resident((*one).clone())),
            candidates: Vec::new(),
        },
        [] if partial.is_empty() => {
            ResidentMatch { index, result: MatchResult::None, resident: None, candidates: Vec::new() }
        }
        several => {
            let mut candidates: Vec<MatchCandidate> = several
                .iter()
                .map(|r| MatchCandidate {
                    resident: Resident((*r).clone()),
                    reasons: vec![MatchReason::SeveralExactMatches],
                })
                .collect();
            candidates.extend(partial);
            ResidentMatch { index, result: MatchResult::Review, resident: None, candidates }
        }
    }
}

/// The lease resident an override mutation names, within the token's scope.
pub async fn lease_resident_in_scope(ctx: &Context<'_>, id: &ID) -> GqlResult<lease_resident::Model> {
    let rc = rctx(ctx)?;
    let uuid = ids::expect(id, NodeType::LeaseResident, "leaseResidentId")?;
    Ok(load!(rc, lease_residents, uuid).ok_or(ApiError::NotFound("lease resident"))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn resident(first: &str, last: &str, email: Option<&str>, phone: Option<&str>) -> resident::Model {
        let at = Utc::now();
        resident::Model {
            id: Uuid::now_v7(),
            integration_id: Uuid::nil(),
            remote_id: format!("{first}-{last}"),
            remote_data: serde_json::json!({}),
            content_hash: String::new(),
            created_at: at,
            updated_at: at,
            remote_deleted_at: None,
            first_name: first.into(),
            last_name: last.into(),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
        }
    }

    fn person(first: &str, last: &str, email: &str) -> PersonInput {
        PersonInput { first_name: first.into(), last_name: last.into(), email: email.into(), phone: None }
    }

    #[test]
    fn all_three_agreeing_case_and_space_insensitively_is_a_match() {
        let ana = resident("Ana", "García  López", Some("ana@example.com"), None);
        let found = match_one(0, &person(" ana ", "garcía lópez", "ANA@example.com "), std::slice::from_ref(&ana));
        assert_eq!(found.result, MatchResult::Match);
        assert_eq!(found.resident.map(|r| r.0.id), Some(ana.id));
    }

    #[test]
    fn partial_agreement_is_review_with_reasons_and_nothing_is_none() {
        let residents = [
            resident("Ana", "Lopez", Some("ana@example.com"), Some("(303) 555-0100")),
            resident("Bo", "Chen", Some("bo@example.com"), None),
        ];
        let mut same_email = person("Anna", "Lopez", "ana@example.com");
        same_email.phone = Some("+1 303 555 0100".into());
        let found = match_one(0, &same_email, &residents);
        assert_eq!(found.result, MatchResult::Review);
        assert_eq!(found.candidates.len(), 1);
        assert_eq!(found.candidates[0].reasons, [MatchReason::SameEmailDifferentName, MatchReason::SamePhone]);
        let found = match_one(1, &person("Bo", "Chen", "bo.chen@work.example"), &residents);
        assert_eq!(found.result, MatchResult::Review);
        assert_eq!(found.candidates[0].reasons, [MatchReason::SameNameDifferentEmail]);
        assert_eq!(match_one(2, &person("Cy", "Diaz", "cy@example.com"), &residents).result, MatchResult::None);
    }

    #[test]
    fn the_same_person_twice_is_review_not_a_guess() {
        let twice = [
            resident("Ana", "Lopez", Some("ana@example.com"), None),
            resident("Ana", "Lopez", Some("ana@example.com"), None),
        ];
        let found = match_one(0, &person("Ana", "Lopez", "ana@example.com"), &twice);
        assert_eq!(found.result, MatchResult::Review);
        assert!(found.candidates.iter().all(|c| c.reasons == [MatchReason::SeveralExactMatches]));
    }
}
