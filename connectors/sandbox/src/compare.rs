//! Comparing what a connector read back from a simulator with what the sandbox generated, record by
//! record (DESIGN.md, "Testing": the round trip must equal the world). Shared by every connector's
//! round-trip test and the end-to-end tests.

use std::collections::BTreeMap;

use futures::StreamExt;
use pmsgraph_connector_core::{Connector, NormalizedRecord, RecordKind, RemoteData, SyncItem, SyncScope};

/// Records by (kind, remote id), with `remote_data` blanked (the world has none). Panics on a
/// record that comes twice.
pub fn keyed(records: impl IntoIterator<Item = NormalizedRecord>) -> BTreeMap<(RecordKind, String), NormalizedRecord> {
    let mut out = BTreeMap::new();
    for record in records {
        let blank = blank(record);
        let key = (blank.kind(), blank.remote_id().to_owned());
        assert!(out.insert(key.clone(), blank).is_none(), "{key:?} came twice");
    }
    out
}

/// A record without its raw PMS records.
pub fn blank(record: NormalizedRecord) -> NormalizedRecord {
    match record {
        NormalizedRecord::Property(mut p) => {
            p.remote_data = RemoteData::null();
            NormalizedRecord::Property(p)
        }
        NormalizedRecord::Unit(mut u) => {
            u.remote_data = RemoteData::null();
            u.spaces.iter_mut().for_each(|s| s.remote_data = RemoteData::null());
            NormalizedRecord::Unit(u)
        }
        NormalizedRecord::Resident(mut r) => {
            r.remote_data = RemoteData::null();
            NormalizedRecord::Resident(r)
        }
        NormalizedRecord::Lease(mut l) => {
            l.remote_data = RemoteData::null();
            l.residents.iter_mut().for_each(|r| r.remote_data = RemoteData::null());
            NormalizedRecord::Lease(l)
        }
    }
}

/// Runs a sync of `scope` to its end: the records, and the failures.
pub async fn collect(connector: &dyn Connector, scope: SyncScope) -> (Vec<NormalizedRecord>, Vec<SyncItem>) {
    let mut records = Vec::new();
    let mut failures = Vec::new();
    let mut stream = connector.sync(scope, None);
    while let Some(item) = stream.next().await {
        match item {
            SyncItem::Page(page) => records.extend(page),
            failed @ SyncItem::Failed { .. } => failures.push(failed),
        }
    }
    (records, failures)
}

/// Panics naming the first records missing, extra or different.
pub fn assert_same(
    read: BTreeMap<(RecordKind, String), NormalizedRecord>,
    want: BTreeMap<(RecordKind, String), NormalizedRecord>,
) {
    let missing: Vec<_> = want.keys().filter(|k| !read.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = read.keys().filter(|k| !want.contains_key(*k)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    for (key, record) in &want {
        assert_eq!(&read[key], record, "{key:?} differs");
    }
}
