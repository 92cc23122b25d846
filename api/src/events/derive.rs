//! Deriving lifecycle events from the change log of one finished sync job (never from a second
//! pass over the data: the change log holds every changed row with its old and new values).
//!
//! Lease and person events come from comparing each affected person's occupancies *before* the
//! job (the stored rows with this job's changes reverted, field by field, from the change log's old
//! values) and *after* it (the stored rows):
//!
//! - a person's status on a lease becoming FUTURE is MOVE_IN_SCHEDULED, CURRENT or NOTICE from
//!   anything else MOVED_IN, NOTICE NOTICE_GIVEN, PAST from CURRENT or NOTICE MOVED_OUT;
//! - the person's *active* lease (CURRENT over NOTICE over FUTURE, then the latest move-in;
//!   DESIGN.md, "One active unit") moving to another unit or property is TRANSFERRED, which stands
//!   in for that move's MOVED_OUT and MOVED_IN;
//! - a move-in to the unit the person already lives in, or a move-out of a unit they go on living
//!   in, is a renewal, not a move: RENEWED (once per lease), as is a later end date on a live lease;
//! - a new lease is LEASE_CREATED; a person's email change EMAIL_CHANGED, other profile changes
//!   RESIDENT_UPDATED; rows no longer at the PMS REMOTE_DELETED (a lease's people go with it).
//!
//! Guarantors get no move events: they never live in the unit. Before an integration's first
//! successful full sync nothing is derived; that sync itself yields one INITIAL_SYNC_COMPLETED.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use pmsgraph_connector_core::{LeaseStatus, RecordKind, SyncScope};
use pmsgraph_entity::{change_log, lease, lease_resident, resident, sync_job, unit};

use super::EventType;
use crate::store::events::NewEvent;
use crate::store::ingest::{CREATED, REMOTE_DELETED};
use crate::store::jobs;

/// Rows per `IN (...)` lookup.
const CHUNK: usize = 1_000;

/// Fields never reported in an event's `changes`: bookkeeping, and the raw record (its changes
/// show in the normalized fields).
const UNREPORTED: [&str; 3] = ["remote_data", "remote_deleted_at", "content_hash"];

/// Resident fields whose change is RESIDENT_UPDATED (email has an event of its own).
const PROFILE: [&str; 3] = ["first_name", "last_name", "phone"];

/// Everything one job changed in one row.
#[derive(Debug, Default)]
struct RowChange {
    /// Index of the row's first change in the job's log: the order events come out in.
    order: usize,
    at: Option<DateTime<Utc>>,
    created: bool,
    deleted: bool,
    /// The oldest old value of each updated field, and the newest new value.
    old: Map<String, Value>,
    new: Map<String, Value>,
}

impl RowChange {
    /// `{field: {"old", "new"}}` of the reported fields, names in camelCase like the API's.
    fn reported(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (field, new) in &self.new {
            if UNREPORTED.contains(&field.as_str()) {
                continue;
            }
            let old = self.old.get(field).cloned().unwrap_or(Value::Null);
            if &old != new {
                out.insert(camel(field), json!({ "old": old, "new": new }));
            }
        }
        out
    }

    fn changed(&self, field: &str) -> bool {
        self.new.contains_key(field) && self.old.get(field) != self.new.get(field)
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The job's changes, by record kind and row id.
#[derive(Default)]
struct Changes(HashMap<(RecordKind, Uuid), RowChange>);

impl Changes {
    fn fold(rows: Vec<change_log::Model>) -> Changes {
        let mut changes = Changes::default();
        for (order, row) in rows.into_iter().enumerate() {
            let Some(kind) = kind_of(&row.record_kind) else { continue };
            let entry = changes.0.entry((kind, row.record_id)).or_insert_with(|| RowChange {
                order,
                at: Some(row.created_at),
                ..RowChange::default()
            });
            match row.change.as_str() {
                CREATED => entry.created = true,
                REMOTE_DELETED => entry.deleted = true,
                _ => {
                    if let Value::Object(fields) = row.fields {
                        for (field, change) in fields {
                            let (old, new) = match change {
                                Value::Object(mut pair) => (
                                    pair.remove("old").unwrap_or(Value::Null),
                                    pair.remove("new").unwrap_or(Value::Null),
                                ),
                                _ => continue,
                            };
                            entry.old.entry(field.clone()).or_insert(old);
                            entry.new.insert(field, new);
                        }
                    }
                }
            }
        }
        changes
    }

    fn get(&self, kind: RecordKind, id: Uuid) -> Option<&RowChange> {
        self.0.get(&(kind, id))
    }

    fn ids(&self, kind: RecordKind) -> Vec<Uuid> {
        let mut ids: Vec<(usize, Uuid)> =
            self.0.iter().filter(|((k, _), _)| *k == kind).map(|((_, id), c)| (c.order, *id)).collect();
        ids.sort_unstable();
        ids.into_iter().map(|(_, id)| id).collect()
    }
}

fn kind_of(word: &str) -> Option<RecordKind> {
    [
        RecordKind::Property,
        RecordKind::Unit,
        RecordKind::UnitSpace,
        RecordKind::Resident,
        RecordKind::Lease,
        RecordKind::LeaseResident,
    ]
    .into_iter()
    .find(|k| k.as_str() == word)
}

/// One person on one lease, as far as events need it.
#[derive(Debug, Clone, PartialEq)]
struct Occupancy {
    lease_resident_id: Uuid,
    lease_id: Uuid,
    resident_id: Uuid,
    guarantor: bool,
    /// The person's status on the lease; `None` when the row or its lease is gone.
    status: Option<LeaseStatus>,
    property_id: Option<Uuid>,
    unit_id: Option<Uuid>,
    /// The person's move-in, else the lease's, else its start.
    move_in: Option<NaiveDate>,
}

impl Occupancy {
    /// Reads an occupancy from a lease resident and its lease as JSON objects of their columns.
    fn read(person: &Value, lease: &Value) -> Option<Occupancy> {
        let uuid = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).and_then(|s| s.parse::<Uuid>().ok());
        let date = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).and_then(|s| s.parse::<NaiveDate>().ok());
        let live = |v: &Value| v.get("remote_deleted_at").is_none_or(Value::is_null);
        let status = person.get("status").and_then(Value::as_str).and_then(|s| s.parse::<LeaseStatus>().ok());
        Some(Occupancy {
            lease_resident_id: uuid(person, "id")?,
            lease_id: uuid(person, "lease_id")?,
            resident_id: uuid(person, "resident_id")?,
            guarantor: person.get("role").and_then(Value::as_str) == Some("GUARANTOR"),
            status: status.filter(|_| live(person) && live(lease)),
            property_id: uuid(lease, "property_id"),
            unit_id: uuid(lease, "unit_id"),
            move_in: date(person, "move_in_date")
                .or_else(|| date(lease, "move_in_date"))
                .or_else(|| date(lease, "start_date")),
        })
    }

    fn place(&self) -> (Option<Uuid>, Option<Uuid>) {
        (self.property_id, self.unit_id)
    }

    fn living(&self) -> bool {
        matches!(self.status, Some(LeaseStatus::Current | LeaseStatus::Notice))
    }
}

/// The active lease among a person's occupancies (DESIGN.md, "One active unit"): CURRENT over
/// NOTICE over FUTURE, then the latest move-in; guarantors have none.
fn active<'a>(occupancies: impl Iterator<Item = &'a Occupancy>) -> Option<&'a Occupancy> {
    occupancies
        .filter_map(|o| crate::access::active_rank(o.status, o.guarantor, o.move_in).map(|rank| (rank, o)))
        .min_by_key(|(rank, o)| (*rank, o.lease_id))
        .map(|(_, o)| o)
}

/// The row as it was before this job: the stored row with the job's old values put back; `None`
/// if the job created it.
fn before(after: &Value, change: Option<&RowChange>) -> Option<Value> {
    let Some(change) = change else { return Some(after.clone()) };
    if change.created {
        return None;
    }
    let mut row = after.clone();
    if let Value::Object(fields) = &mut row {
        for (field, old) in &change.old {
            fields.insert(field.clone(), old.clone());
        }
        if change.deleted {
            fields.insert("remote_deleted_at".into(), Value::Null);
        }
    }
    Some(row)
}

/// An event under construction, with its place in the job's output.
struct Draft {
    group: u8,
    order: usize,
    event: NewEvent,
}

struct Context {
    at: DateTime<Utc>,
    drafts: Vec<Draft>,
}

impl Context {
    fn push(
        &mut self,
        group: u8,
        order: usize,
        at: Option<DateTime<Utc>>,
        event_type: EventType,
        place: Place,
        data: Value,
    ) {
        self.drafts.push(Draft {
            group,
            order,
            event: NewEvent {
                event_type,
                occurred_at: at.unwrap_or(self.at),
                property_id: place.property,
                unit_id: place.unit,
                lease_id: place.lease,
                resident_id: place.resident,
                lease_resident_id: place.lease_resident,
                data,
            },
        });
    }
}

/// The rows an event concerns.
#[derive(Debug, Clone, Copy, Default)]
struct Place {
    property: Option<Uuid>,
    unit: Option<Uuid>,
    lease: Option<Uuid>,
    resident: Option<Uuid>,
    lease_resident: Option<Uuid>,
}

impl Place {
    fn of(o: &Occupancy) -> Place {
        Place {
            property: o.property_id,
            unit: o.unit_id,
            lease: Some(o.lease_id),
            resident: Some(o.resident_id),
            lease_resident: Some(o.lease_resident_id),
        }
    }

    fn of_lease(l: &lease::Model, primary: Option<Uuid>) -> Place {
        Place {
            property: Some(l.property_id),
            unit: l.unit_id,
            lease: Some(l.id),
            resident: primary,
            lease_resident: None,
        }
    }
}

fn to_json<T: serde::Serialize>(row: &T) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

async fn by_ids<E, C>(txn: &C, column: E::Column, ids: &[Uuid]) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        rows.extend(E::find().filter(column.is_in(chunk.iter().copied())).all(txn).await?);
    }
    Ok(rows)
}

/// Whether the integration had a successful full sync before `job`.
async fn had_full_sync<C: ConnectionTrait>(txn: &C, job: &sync_job::Model) -> Result<bool, DbErr> {
    let found: Option<Uuid> = sync_job::Entity::find()
        .select_only()
        .column(sync_job::Column::Id)
        .filter(sync_job::Column::IntegrationId.eq(job.integration_id))
        .filter(sync_job::Column::Scope.eq(SyncScope::Integration.kind()))
        .filter(sync_job::Column::Status.eq(jobs::SUCCESS))
        .filter(sync_job::Column::Id.ne(job.id))
        .into_tuple()
        .one(txn)
        .await?;
    Ok(found.is_some())
}

/// The events of a finished job, in feed order. `status` and `counts` are how it ended.
pub async fn for_job<C: ConnectionTrait>(
    txn: &C,
    job: &sync_job::Model,
    status: &str,
    counts: Value,
    at: DateTime<Utc>,
) -> Result<Vec<NewEvent>, DbErr> {
    if !had_full_sync(txn, job).await? {
        let initial = job.scope == SyncScope::Integration.kind() && status == jobs::SUCCESS;
        return Ok(if initial {
            vec![NewEvent {
                event_type: EventType::InitialSyncCompleted,
                occurred_at: at,
                property_id: None,
                unit_id: None,
                lease_id: None,
                resident_id: None,
                lease_resident_id: None,
                data: json!({ "counts": counts }),
            }]
        } else {
            Vec::new()
        });
    }
    let log = change_log::Entity::find()
        .filter(change_log::Column::SyncJobId.eq(job.id))
        .order_by_asc(change_log::Column::Id)
        .all(txn)
        .await?;
    if log.is_empty() {
        return Ok(Vec::new());
    }
    let changes = Changes::fold(log);
    let mut cx = Context { at, drafts: Vec::new() };

    // The people whose occupancies this job may have changed, and all their occupancies.
    let changed_leases: Vec<lease::Model> =
        by_ids::<lease::Entity, _>(txn, lease::Column::Id, &changes.ids(RecordKind::Lease)).await?;
    let changed_people: Vec<lease_resident::Model> =
        by_ids::<lease_resident::Entity, _>(txn, lease_resident::Column::Id, &changes.ids(RecordKind::LeaseResident))
            .await?;
    let lease_ids: Vec<Uuid> = changed_leases.iter().map(|l| l.id).collect();
    let on_changed_leases =
        by_ids::<lease_resident::Entity, _>(txn, lease_resident::Column::LeaseId, &lease_ids).await?;
    let mut resident_ids: Vec<Uuid> = changes.ids(RecordKind::Resident);
    resident_ids.extend(changed_people.iter().chain(&on_changed_leases).map(|p| p.resident_id));
    let mut unique = HashSet::new();
    resident_ids.retain(|id| unique.insert(*id));
    let occupancy_rows =
        by_ids::<lease_resident::Entity, _>(txn, lease_resident::Column::ResidentId, &resident_ids).await?;
    let mut lease_of: HashMap<Uuid, lease::Model> = changed_leases.iter().map(|l| (l.id, l.clone())).collect();
    let missing: Vec<Uuid> = {
        let mut ids: Vec<Uuid> =
            occupancy_rows.iter().map(|p| p.lease_id).filter(|id| !lease_of.contains_key(id)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    for row in by_ids::<lease::Entity, _>(txn, lease::Column::Id, &missing).await? {
        lease_of.insert(row.id, row);
    }

    // Each person's occupancies before and after the job.
    let mut people: BTreeMap<Uuid, (Vec<Occupancy>, Vec<Occupancy>)> = BTreeMap::new();
    for person in &occupancy_rows {
        let Some(lease) = lease_of.get(&person.lease_id) else { continue };
        let (person_json, lease_json) = (to_json(person), to_json(lease));
        let entry = people.entry(person.resident_id).or_default();
        if let Some(after) = Occupancy::read(&person_json, &lease_json) {
            entry.1.push(after);
        }
        let person_before = before(&person_json, changes.get(RecordKind::LeaseResident, person.id));
        let lease_before = before(&lease_json, changes.get(RecordKind::Lease, lease.id));
        if let (Some(p), Some(l)) = (person_before, lease_before)
            && let Some(before) = Occupancy::read(&p, &l)
        {
            entry.0.push(before);
        }
    }

    // Where each person lived (their active lease) before and after.
    let mut renewals: HashSet<Uuid> = HashSet::new();
    let mut actives: HashMap<Uuid, Option<Occupancy>> = HashMap::new();
    for (resident_id, (was, is)) in &people {
        let active_before = active(was.iter()).cloned();
        let active_after = active(is.iter()).cloned();
        actives.insert(*resident_id, active_after.clone());
        let transfer = match (&active_before, &active_after) {
            (Some(from), Some(to)) if from.place() != to.place() && from.lease_id != to.lease_id => {
                Some((from.clone(), to.clone()))
            }
            _ => None,
        };
        let touched = |o: &Occupancy| {
            changes
                .get(RecordKind::LeaseResident, o.lease_resident_id)
                .or_else(|| changes.get(RecordKind::Lease, o.lease_id))
        };
        for now in
            is.iter().chain(was.iter().filter(|w| !is.iter().any(|i| i.lease_resident_id == w.lease_resident_id)))
        {
            let Some(change) = touched(now) else { continue };
            let then = was.iter().find(|w| w.lease_resident_id == now.lease_resident_id);
            let now_status = is.iter().find(|i| i.lease_resident_id == now.lease_resident_id).and_then(|i| i.status);
            let then_status = then.and_then(|t| t.status);
            if now.guarantor || now_status == then_status {
                continue;
            }
            let order = change.order;
            let at = change.at;
            let mut data = Map::new();
            if let Some(lease_change) = changes.get(RecordKind::Lease, now.lease_id) {
                data.extend(lease_change.reported());
            }
            if let Some(person_change) = changes.get(RecordKind::LeaseResident, now.lease_resident_id) {
                data.extend(person_change.reported());
            }
            data.insert("status".into(), json!({ "old": then_status, "new": now_status }));
            let data = json!({ "changes": data });
            let lived_here_before =
                active_before.as_ref().is_some_and(|a| a.place() == now.place() && a.lease_id != now.lease_id);
            let lives_here_after =
                active_after.as_ref().is_some_and(|a| a.place() == now.place() && a.lease_id != now.lease_id);
            let moved_in_by_transfer = transfer.as_ref().is_some_and(|(_, to)| to.place() == now.place());
            let moved_out_by_transfer = transfer.as_ref().is_some_and(|(from, _)| from.place() == now.place());
            let was_living = then.is_some_and(Occupancy::living);
            match now_status {
                Some(LeaseStatus::Future)
                    if !matches!(then_status, Some(LeaseStatus::Current | LeaseStatus::Notice)) =>
                {
                    if lived_here_before {
                        renewals.insert(now.lease_id);
                    } else {
                        cx.push(1, order, at, EventType::MoveInScheduled, Place::of(now), data);
                    }
                }
                Some(LeaseStatus::Current | LeaseStatus::Notice) => {
                    if !was_living {
                        if lived_here_before {
                            renewals.insert(now.lease_id);
                        } else if !moved_in_by_transfer {
                            cx.push(1, order, at, EventType::MovedIn, Place::of(now), data.clone());
                        }
                    }
                    if now_status == Some(LeaseStatus::Notice) {
                        cx.push(1, order, at, EventType::NoticeGiven, Place::of(now), data);
                    }
                }
                Some(LeaseStatus::Past) if was_living && !lives_here_after && !moved_out_by_transfer => {
                    cx.push(1, order, at, EventType::MovedOut, Place::of(now), data);
                }
                _ => {}
            }
        }
        if let Some((from, to)) = transfer {
            let order = touched(&to).or_else(|| touched(&from)).map_or(usize::MAX, |c| c.order);
            let at = touched(&to).and_then(|c| c.at);
            let data = json!({
                "from": { "propertyId": from.property_id, "unitId": from.unit_id, "leaseId": from.lease_id, "leaseResidentId": from.lease_resident_id },
                "to": { "propertyId": to.property_id, "unitId": to.unit_id, "leaseId": to.lease_id, "leaseResidentId": to.lease_resident_id },
            });
            cx.push(1, order, at, EventType::Transferred, Place::of(&to), data);
        }
    }

    // Lease events: created, renewed, deleted.
    let primary_of = |lease_id: Uuid| {
        occupancy_rows
            .iter()
            .chain(&on_changed_leases)
            .find(|p| p.lease_id == lease_id && p.role == "PRIMARY")
            .map(|p| p.resident_id)
    };
    for lease in &changed_leases {
        let Some(change) = changes.get(RecordKind::Lease, lease.id) else { continue };
        let place = Place::of_lease(lease, primary_of(lease.id));
        if change.created {
            cx.push(0, change.order, change.at, EventType::LeaseCreated, place, json!({ "changes": {} }));
        }
        // A later end date is a renewal only for a lease lived in before and after (an approval
        // that moves its dates is not one).
        let occupying =
            |word: &str| matches!(word.parse::<LeaseStatus>(), Ok(LeaseStatus::Current | LeaseStatus::Notice));
        let status_before = change.old.get("status").and_then(Value::as_str).unwrap_or(lease.status.as_str());
        let live = occupying(status_before) && occupying(&lease.status);
        let later_end = change.changed("end_date")
            && matches!(
                (change.old.get("end_date").and_then(Value::as_str), change.new.get("end_date").and_then(Value::as_str)),
                (Some(old), Some(new)) if new > old
            );
        if (live && later_end) || renewals.contains(&lease.id) {
            cx.push(0, change.order, change.at, EventType::Renewed, place, json!({ "changes": change.reported() }));
        }
        if change.deleted {
            cx.push(
                3,
                change.order,
                change.at,
                EventType::RemoteDeleted,
                place,
                json!({ "record": "lease", "remoteId": lease.remote_id }),
            );
        }
    }

    // People: profile changes, and people no longer at the PMS.
    let residents: Vec<resident::Model> =
        by_ids::<resident::Entity, _>(txn, resident::Column::Id, &changes.ids(RecordKind::Resident)).await?;
    for person in &residents {
        let Some(change) = changes.get(RecordKind::Resident, person.id) else { continue };
        let home = actives.get(&person.id).cloned().flatten();
        let place = Place {
            resident: Some(person.id),
            ..home.as_ref().map(|o| Place { lease_resident: None, ..Place::of(o) }).unwrap_or_default()
        };
        let reported = change.reported();
        if change.changed("email") {
            let email: Map<String, Value> =
                reported.iter().filter(|(k, _)| *k == "email").map(|(k, v)| (k.clone(), v.clone())).collect();
            cx.push(2, change.order, change.at, EventType::EmailChanged, place, json!({ "changes": email }));
        }
        if PROFILE.iter().any(|f| change.changed(f)) {
            let profile: Map<String, Value> =
                reported.into_iter().filter(|(k, _)| PROFILE.iter().any(|f| camel(f) == *k)).collect();
            cx.push(2, change.order, change.at, EventType::ResidentUpdated, place, json!({ "changes": profile }));
        }
        if change.deleted {
            cx.push(
                3,
                change.order,
                change.at,
                EventType::RemoteDeleted,
                place,
                json!({ "record": "resident", "remoteId": person.remote_id }),
            );
        }
    }
    // A person taken off a lease that stays: their occupancy is gone.
    let deleted_leases: HashSet<Uuid> = changed_leases
        .iter()
        .filter(|l| changes.get(RecordKind::Lease, l.id).is_some_and(|c| c.deleted))
        .map(|l| l.id)
        .collect();
    for person in &changed_people {
        let Some(change) = changes.get(RecordKind::LeaseResident, person.id) else { continue };
        if !change.deleted || deleted_leases.contains(&person.lease_id) {
            continue;
        }
        let lease = lease_of.get(&person.lease_id);
        let place = Place {
            property: lease.map(|l| l.property_id),
            unit: lease.and_then(|l| l.unit_id),
            lease: Some(person.lease_id),
            resident: Some(person.resident_id),
            lease_resident: Some(person.id),
        };
        cx.push(
            3,
            change.order,
            change.at,
            EventType::RemoteDeleted,
            place,
            json!({ "record": "lease_resident", "remoteId": person.remote_id }),
        );
    }
    for (kind, record) in [(RecordKind::Unit, "unit"), (RecordKind::Property, "property")] {
        let ids: Vec<Uuid> =
            changes.ids(kind).into_iter().filter(|id| changes.get(kind, *id).is_some_and(|c| c.deleted)).collect();
        if ids.is_empty() {
            continue;
        }
        let places: Vec<(Uuid, Place, String)> = if kind == RecordKind::Unit {
            by_ids::<unit::Entity, _>(txn, unit::Column::Id, &ids)
                .await?
                .into_iter()
                .map(|u| {
                    (u.id, Place { property: Some(u.property_id), unit: Some(u.id), ..Place::default() }, u.remote_id)
                })
                .collect()
        } else {
            let rows = change_log_remote_ids(txn, job.id, &ids).await?;
            ids.iter()
                .map(|id| {
                    (*id, Place { property: Some(*id), ..Place::default() }, rows.get(id).cloned().unwrap_or_default())
                })
                .collect()
        };
        for (id, place, remote_id) in places {
            if let Some(change) = changes.get(kind, id) {
                cx.push(
                    3,
                    change.order,
                    change.at,
                    EventType::RemoteDeleted,
                    place,
                    json!({ "record": record, "remoteId": remote_id }),
                );
            }
        }
    }

    cx.drafts.sort_by_key(|d| (d.group, d.order));
    Ok(cx.drafts.into_iter().map(|d| d.event).collect())
}

/// Remote ids of rows as the job's change log names them.
async fn change_log_remote_ids<C: ConnectionTrait>(
    txn: &C,
    job_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, DbErr> {
    let rows: Vec<(Uuid, String)> = change_log::Entity::find()
        .select_only()
        .column(change_log::Column::RecordId)
        .column(change_log::Column::RemoteId)
        .filter(change_log::Column::SyncJobId.eq(job_id))
        .filter(change_log::Column::RecordId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(lease: u128, unit: u128, status: Option<LeaseStatus>, move_in: Option<(i32, u32, u32)>) -> Occupancy {
        Occupancy {
            lease_resident_id: Uuid::from_u128(lease + 1000),
            lease_id: Uuid::from_u128(lease),
            resident_id: Uuid::from_u128(1),
            guarantor: false,
            status,
            property_id: Some(Uuid::from_u128(9)),
            unit_id: Some(Uuid::from_u128(unit)),
            move_in: move_in.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        }
    }

    #[test]
    fn the_active_lease_prefers_current_then_notice_then_future_then_the_latest_move_in() {
        let future = occ(1, 10, Some(LeaseStatus::Future), Some((2027, 1, 1)));
        let notice = occ(2, 11, Some(LeaseStatus::Notice), Some((2025, 1, 1)));
        let old_current = occ(3, 12, Some(LeaseStatus::Current), Some((2024, 1, 1)));
        let new_current = occ(4, 13, Some(LeaseStatus::Current), Some((2026, 1, 1)));
        let past = occ(5, 14, Some(LeaseStatus::Past), Some((2026, 6, 1)));
        let all = [future.clone(), notice.clone(), old_current, new_current.clone(), past.clone()];
        assert_eq!(active(all.iter()), Some(&new_current));
        assert_eq!(active([future.clone(), notice.clone()].iter()), Some(&notice));
        assert_eq!(active([future.clone(), past.clone()].iter()), Some(&future));
        assert_eq!(active([past].iter()), None);
        let guarantor = Occupancy { guarantor: true, ..new_current };
        assert_eq!(active([guarantor].iter()), None);
    }

    #[test]
    fn a_row_before_the_job_has_its_old_values_back() {
        let after = json!({ "id": "x", "status": "CURRENT", "move_in_date": "2026-01-02", "remote_deleted_at": "2026-02-01T00:00:00Z" });
        let mut change = RowChange::default();
        change.old.insert("status".into(), json!("FUTURE"));
        change.new.insert("status".into(), json!("CURRENT"));
        change.deleted = true;
        let was = before(&after, Some(&change)).expect("a row that existed");
        assert_eq!(was["status"], "FUTURE");
        assert_eq!(was["move_in_date"], "2026-01-02");
        assert_eq!(was["remote_deleted_at"], Value::Null);
        assert_eq!(before(&after, None), Some(after.clone()));
        let created = RowChange { created: true, ..RowChange::default() };
        assert_eq!(before(&after, Some(&created)), None);
    }

    #[test]
    fn reported_changes_use_api_names_and_skip_raw_data() {
        let mut change = RowChange::default();
        for (field, old, new) in [
            ("move_out_date", json!(null), json!("2026-03-31")),
            ("remote_data", json!({"a": 1}), json!({"a": 2})),
            ("status", json!("CURRENT"), json!("CURRENT")),
        ] {
            change.old.insert(field.into(), old);
            change.new.insert(field.into(), new);
        }
        let reported = change.reported();
        assert_eq!(reported.len(), 1, "{reported:?}");
        assert_eq!(reported["moveOutDate"], json!({ "old": null, "new": "2026-03-31" }));
    }
}
