//! Scoped syncs for PMSs whose calls read a property whole and take no unit or person (Yardi,
//! RealPage): the connector reads the property and keeps the scope (DESIGN.md: "where it cannot,
//! it fetches the property and filters; either way it writes only that scope's rows").
//!
//! [`Narrow::of`] turns a [`SyncScope`] into the properties to read and how to narrow each;
//! [`Narrow::head`] keeps a property's own records of the scope, [`Narrow::tail`] its leases of
//! the scope and the people they name (people first, so each lease's people are stored before it);
//! [`pages`] cuts them into [`SyncItem::Page`]s; [`select`] picks the properties a sync reads from
//! what the PMS lists. [`sync_whole_properties`] is the whole sync of such a connector, which
//! supplies only its calls ([`WholeProperties`]).

use std::collections::HashSet;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::connector::{SyncItem, SyncScope};
use crate::error::ConnectorError;
use crate::identity::People;
use crate::record::{NormalizedLease, NormalizedProperty, NormalizedRecord, NormalizedResident, NormalizedUnit};

/// The calls of a connector whose PMS reads a property whole, with per-lease person ids.
#[async_trait::async_trait]
pub trait WholeProperties: Send + Sync {
    /// The properties to read, narrowed to `only` (empty: no narrowing), and the listed ids the
    /// PMS does not show.
    async fn properties(&self, only: &[String]) -> Result<(Vec<NormalizedProperty>, Vec<String>), ConnectorError>;
    /// A property's units.
    async fn units(&self, property: &NormalizedProperty) -> Result<Vec<NormalizedUnit>, ConnectorError>;
    /// A property's people, by their per-lease ids, and its leases naming them so.
    async fn tenancies(
        &self,
        property: &NormalizedProperty,
    ) -> Result<(Vec<NormalizedResident>, Vec<NormalizedLease>), ConnectorError>;
    /// The error of a listed property the PMS does not show.
    fn not_found(&self, property: &str) -> ConnectorError;
}

/// Properties a connector's sync reads at once, in order: the one being handed on and the next
/// (here, and in connectors that stream a property in pages of their own, such as Entrata's).
pub const PROPERTIES_AHEAD: usize = 2;

/// What the calls of one property returned: its units, then (if they were read) its tenancies.
type PropertyRead = Result<(Vec<NormalizedUnit>, Result<Tenancies, ConnectorError>), ConnectorError>;
type Tenancies = (Vec<NormalizedResident>, Vec<NormalizedLease>);

/// The sync of `scope`: per property, in order, the property with its unit count and its units,
/// then its people (one person per identity across the whole sync, [`People`]) and leases, in
/// pages of `page_size`. The next property's calls are made while this one's pages are handed on,
/// so the PMS's answer time is spent beside the engine's work (memory stays at two properties'
/// answers). A failure ends its property with [`SyncItem::Failed`] and the sync goes on.
pub fn sync_whole_properties<R: WholeProperties>(
    reader: &R,
    scope: SyncScope,
    page_size: usize,
) -> BoxStream<'_, SyncItem> {
    Box::pin(async_stream::stream! {
        let Some((only, narrow)) = Narrow::of(scope) else {
            return;
        };
        let (properties, missing) = match reader.properties(&only).await {
            Ok(found) => found,
            Err(error) => {
                yield SyncItem::Failed { property: None, error };
                return;
            }
        };
        for id in missing {
            yield SyncItem::Failed { error: reader.not_found(&id), property: Some(id) };
        }
        let reads = properties.into_iter().map(|property| async move {
            let read: PropertyRead = match reader.units(&property).await {
                Ok(units) => Ok((units, reader.tenancies(&property).await)),
                Err(error) => Err(error),
            };
            (property, read)
        });
        let mut reads = futures::stream::iter(reads).buffered(PROPERTIES_AHEAD);
        let mut people = People::default();
        while let Some((mut property, read)) = reads.next().await {
            let id = property.remote_id.clone();
            let failed = |error: ConnectorError| SyncItem::Failed { property: Some(id.clone()), error };
            let (units, tenancies) = match read {
                Ok(read) => read,
                Err(error) => {
                    yield failed(error);
                    continue;
                }
            };
            property.unit_count = i32::try_from(units.len()).ok();
            for page in pages(narrow.head(property, units), page_size) {
                yield page;
            }
            let (residents, leases) = match tenancies {
                Ok(read) => read,
                Err(error) => {
                    yield failed(error);
                    continue;
                }
            };
            let (residents, leases) = people.records(residents, leases);
            for page in pages(narrow.tail(residents, leases), page_size) {
                yield page;
            }
        }
    })
}

/// How a scoped sync narrows one property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Narrow {
    /// The whole property.
    None,
    /// One unit (by remote id), its leases and their people.
    Unit(String),
    /// One person (by remote id), their leases and their co-residents.
    Resident(String),
}

impl Narrow {
    /// The properties to read (empty: all) and how to narrow them; `None` when the scope has
    /// nothing to read (a person known at no property).
    pub fn of(scope: SyncScope) -> Option<(Vec<String>, Narrow)> {
        Some(match scope {
            SyncScope::Integration => (Vec::new(), Narrow::None),
            SyncScope::Property { property } => (vec![property], Narrow::None),
            SyncScope::Unit { property, unit } => (vec![property], Narrow::Unit(unit)),
            SyncScope::Resident { properties, .. } if properties.is_empty() => return None,
            SyncScope::Resident { resident, properties } => (properties, Narrow::Resident(resident)),
        })
    }

    /// The property itself (whole-property scopes only) and its units of the scope.
    pub fn head(&self, property: NormalizedProperty, units: Vec<NormalizedUnit>) -> Vec<NormalizedRecord> {
        let mut out = Vec::new();
        if *self == Narrow::None {
            out.push(NormalizedRecord::Property(property));
        }
        let keep = |unit: &NormalizedUnit| match self {
            Narrow::None => true,
            Narrow::Unit(id) => &unit.remote_id == id,
            Narrow::Resident(_) => false,
        };
        out.extend(units.into_iter().filter(keep).map(NormalizedRecord::Unit));
        out
    }

    /// The leases of the scope, after the people they name (of `residents`).
    pub fn tail(&self, residents: Vec<NormalizedRecord>, leases: Vec<NormalizedRecord>) -> Vec<NormalizedRecord> {
        let leases: Vec<NormalizedRecord> = leases
            .into_iter()
            .filter(|record| match (self, record) {
                (Narrow::None, _) => true,
                (Narrow::Unit(unit), NormalizedRecord::Lease(l)) => l.unit_remote_id.as_ref() == Some(unit),
                (Narrow::Resident(person), NormalizedRecord::Lease(l)) => {
                    l.residents.iter().any(|r| &r.resident_remote_id == person)
                }
                _ => false,
            })
            .collect();
        let named: HashSet<&str> = leases
            .iter()
            .filter_map(|r| match r {
                NormalizedRecord::Lease(l) => Some(l),
                _ => None,
            })
            .flat_map(|l| l.residents.iter().map(|r| r.resident_remote_id.as_str()))
            .collect();
        let mut out: Vec<NormalizedRecord> = residents.into_iter().filter(|r| named.contains(r.remote_id())).collect();
        drop(named);
        out.extend(leases);
        out
    }
}

/// `records` as pages of at most `size` records (none for no records).
pub fn pages(records: Vec<NormalizedRecord>, size: usize) -> Vec<SyncItem> {
    let mut out = Vec::new();
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        out.push(SyncItem::Page(records.by_ref().take(size.max(1)).collect()));
    }
    out
}

/// The properties a sync reads, of those the PMS lists (`all`): the `configured` ones (the
/// credentials' list; empty: all), narrowed to `only` (the scope's; empty: no narrowing). Listed
/// ids the PMS does not show come back apart, as not found.
pub fn select(
    all: Vec<NormalizedProperty>,
    configured: &[String],
    only: &[String],
) -> (Vec<NormalizedProperty>, Vec<String>) {
    let mut wanted: Vec<String> = if only.is_empty() { configured.to_vec() } else { only.to_vec() };
    if !only.is_empty() && !configured.is_empty() {
        wanted.retain(|c| configured.contains(c));
    }
    if wanted.is_empty() && only.is_empty() {
        return (all, Vec::new());
    }
    let missing = wanted.iter().filter(|c| !all.iter().any(|p| &p.remote_id == *c)).cloned().collect();
    (all.into_iter().filter(|p| wanted.contains(&p.remote_id)).collect(), missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RemoteData;
    use crate::record::{Address, NormalizedLease, NormalizedLeaseResident, NormalizedResident};
    use crate::vocab::{LeaseStatus, Occupancy, ResidentRole};

    fn property(id: &str) -> NormalizedProperty {
        NormalizedProperty {
            remote_id: id.into(),
            name: id.into(),
            address: Address::default(),
            time_zone: None,
            unit_count: None,
            remote_data: RemoteData::null(),
        }
    }

    fn unit(id: &str) -> NormalizedUnit {
        NormalizedUnit {
            remote_id: id.into(),
            property_remote_id: "p".into(),
            number: id.into(),
            building: None,
            floorplan: None,
            bedrooms: None,
            bathrooms: None,
            square_feet: None,
            market_rent_cents: None,
            occupancy: Occupancy::Unknown,
            spaces: Vec::new(),
            remote_data: RemoteData::null(),
        }
    }

    fn person(id: &str) -> NormalizedRecord {
        NormalizedRecord::Resident(NormalizedResident {
            remote_id: id.into(),
            first_name: String::new(),
            last_name: String::new(),
            email: None,
            phone: None,
            remote_data: RemoteData::null(),
        })
    }

    fn lease(id: &str, unit: &str, people: &[&str]) -> NormalizedRecord {
        let residents = people
            .iter()
            .map(|p| NormalizedLeaseResident::new(*p, ResidentRole::Primary, LeaseStatus::Current))
            .collect();
        let mut lease = NormalizedLease::new(id, "p", LeaseStatus::Current, residents);
        lease.unit_remote_id = Some(unit.into());
        NormalizedRecord::Lease(lease)
    }

    #[test]
    fn a_unit_scope_keeps_its_unit_leases_and_people() {
        let (only, narrow) = Narrow::of(SyncScope::Unit { property: "p".into(), unit: "u2".into() }).expect("reads");
        assert_eq!(only, ["p"]);
        let head = narrow.head(property("p"), vec![unit("u1"), unit("u2")]);
        assert_eq!(head.iter().map(NormalizedRecord::remote_id).collect::<Vec<_>>(), ["u2"]);
        let tail = narrow.tail(
            vec![person("a"), person("b"), person("c")],
            vec![lease("l1", "u1", &["a"]), lease("l2", "u2", &["b", "c"])],
        );
        assert_eq!(tail.iter().map(NormalizedRecord::remote_id).collect::<Vec<_>>(), ["b", "c", "l2"]);
        assert_eq!(pages(tail, 2).len(), 2);
        assert!(Narrow::of(SyncScope::Resident { resident: "a".into(), properties: vec![] }).is_none());
    }

    #[test]
    fn selection_keeps_the_configured_and_names_the_missing() {
        let all = || vec![property("a"), property("b")];
        assert_eq!(select(all(), &[], &[]).0.len(), 2);
        let (kept, missing) = select(all(), &["a".into(), "x".into()], &[]);
        assert_eq!((kept.len(), missing), (1, vec!["x".to_owned()]));
        let (kept, missing) = select(all(), &["a".into()], &["b".into()]);
        assert!(kept.is_empty() && missing.is_empty(), "a scope outside the configured ones reads nothing");
    }
}
