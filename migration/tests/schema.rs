//! Schema tests: run the migrations on a real database and exercise every table through the
//! `pmsgraph-entity` entities.
//!
//! - SQLite: always, on a temporary database file.
//! - PostgreSQL: when `PMSGRAPH_TEST_DATABASE_URL` is set to an admin URL (e.g.
//!   `postgres://postgres@127.0.0.1:5433/postgres`): the test creates a fresh database
//!   `pmsgraph_t_<random hex>` through it, runs there, and drops it at the end (also on failure).
//!
//! Each run checks that every column round-trips (uuid, json, instants, dates, times, f64,
//! bytes, NULLs), that `(integration_id, remote_id)` is unique per integration, that deleting a
//! unit nulls the lease's unit and space, that a synced row's parent is checked at commit, that deleting an integration (or an app) cascades to
//! everything under it, and that `down` then `up` works.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use pmsgraph_entity::prelude::*;
use pmsgraph_entity::{
    access_override, api_token, app, customer, event, integration, lease, lease_resident, property, resident, sync_job,
    unit, unit_space,
};
use pmsgraph_migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, ModelTrait,
    PaginatorTrait, QueryFilter, SqlErr, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

const TABLES: [&str; 16] = [
    "app",
    "api_token",
    "customer",
    "integration",
    "sync_job",
    "property",
    "unit",
    "unit_space",
    "resident",
    "lease",
    "lease_resident",
    "change_log",
    "sandbox_timeline",
    "data_access",
    "event",
    "access_override",
];

#[tokio::test]
async fn schema_on_sqlite() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("pmsgraph.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await.expect("open the SQLite file");
    exercise(&db).await;
    db.close().await.expect("close SQLite");
}

#[tokio::test]
async fn schema_on_postgres() {
    let Ok(admin_url) = std::env::var("PMSGRAPH_TEST_DATABASE_URL") else {
        eprintln!("PMSGRAPH_TEST_DATABASE_URL is not set: skipping the PostgreSQL schema test");
        return;
    };
    let admin = Database::connect(&admin_url).await.expect("connect to PMSGRAPH_TEST_DATABASE_URL");
    let name = format!("pmsgraph_t_{}", Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create the test database");

    let url = database_url(&admin_url, &name);
    // Run in a task so that a failed assertion still reaches the DROP DATABASE below.
    let outcome = tokio::spawn(async move {
        let db = Database::connect(&url).await.expect("connect to the test database");
        exercise(&db).await;
        db.close().await.expect("close the test database");
    })
    .await;

    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop the test database");
    admin.close().await.expect("close the admin connection");
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the PostgreSQL test task failed: {error}"),
        }
    }
}

/// `admin_url` with its database name replaced by `database` (query string kept).
fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// An instant with microseconds (the precision of PostgreSQL timestamps).
fn instant(day: u32, hour: u32, micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 7, 9).single().expect("a valid instant") + Duration::microseconds(micros)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

fn time(hour: u32, minute: u32, second: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, second).expect("a valid time")
}

/// Inserts `$model` through its ActiveModel, checks that the insert returned it unchanged and
/// that reading it back by id gives it again, and evaluates to it.
macro_rules! round_trip {
    ($db:expr, $module:ident, $model:expr) => {{
        let model: $module::Model = $model;
        let inserted = $module::ActiveModel::from(model.clone())
            .reset_all()
            .insert($db)
            .await
            .expect(concat!("insert a ", stringify!($module)));
        assert_eq!(inserted, model, concat!("insert returns the ", stringify!($module)));
        let found = $module::Entity::find_by_id(model.id)
            .one($db)
            .await
            .expect(concat!("read a ", stringify!($module)))
            .expect(concat!("the ", stringify!($module), " exists"));
        assert_eq!(found, model, concat!("every column of ", stringify!($module), " round-trips"));
        model
    }};
}

async fn assert_tables(db: &DatabaseConnection, present: bool) {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(manager.has_table(table).await.expect("look the table up"), present, "table {table} present");
    }
}

fn app_model(name: &str) -> app::Model {
    app::Model { id: Uuid::new_v4(), name: name.to_owned(), generation: 7, created_at: instant(1, 8, 123_456) }
}

async fn exercise(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrate up");
    assert_tables(db, true).await;
    // Applying again is a no-op.
    Migrator::up(db, None).await.expect("migrate up again");

    let app = round_trip!(db, app, app_model("acme"));
    let duplicate_app =
        app::ActiveModel::from(app_model("acme")).reset_all().insert(db).await.expect_err("app names are unique");
    assert!(matches!(duplicate_app.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))), "{duplicate_app:?}");

    round_trip!(
        db,
        api_token,
        api_token::Model {
            id: Uuid::new_v4(),
            app_id: app.id,
            environment: "SANDBOX".to_owned(),
            label: None,
            kid: "key-2026-11".to_owned(),
            created_at: instant(1, 9, 1),
            expires_at: instant(30, 9, 999_999),
            revoked_at: Some(instant(2, 23, 0)),
        }
    );
    let customer = round_trip!(
        db,
        customer,
        customer::Model {
            id: Uuid::new_v4(),
            app_id: app.id,
            name: "Greystone Residential".to_owned(),
            environment: "PRODUCTION".to_owned(),
            created_at: instant(2, 10, 5),
            updated_at: instant(3, 11, 500_000),
        }
    );
    let integration = round_trip!(
        db,
        integration,
        integration::Model {
            id: Uuid::new_v4(),
            customer_id: customer.id,
            pms: "ENTRATA".to_owned(),
            status: "DISABLED".to_owned(),
            status_reason: None,
            credentials: Some(vec![0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]),
            settings: json!({
                "sync_interval_minutes": 60,
                "pms_time_zone": "America/Denver",
                "nested": {"list": [1, 2.5, "x", null, true], "empty": {}},
                "unicode": "Zoë – 東京",
            }),
            generation: i64::MAX,
            created_at: instant(4, 0, 0),
            updated_at: instant(4, 23, 42),
        }
    );
    let other_integration = round_trip!(
        db,
        integration,
        integration::Model {
            id: Uuid::new_v4(),
            customer_id: customer.id,
            pms: "YARDI".to_owned(),
            status: "ENABLED".to_owned(),
            status_reason: Some("access GRANTED".to_owned()),
            credentials: None,
            settings: json!({}),
            generation: 0,
            created_at: instant(4, 0, 0),
            updated_at: instant(4, 0, 0),
        }
    );
    round_trip!(
        db,
        sync_job,
        sync_job::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            trigger: "SCHEDULE".to_owned(),
            scope: "PROPERTY".to_owned(),
            scope_remote_id: Some("p-100".to_owned()),
            status: "PARTIAL_SUCCESS".to_owned(),
            queued_at: instant(5, 1, 0),
            started_at: Some(instant(5, 1, 10)),
            finished_at: None,
            created_count: 3,
            updated_count: 2,
            unchanged_count: 1_000_000,
            deleted_count: 0,
            changed_since: Some(instant(5, 1, 0)),
            errors: json!([{"resource": "leases", "message": "timeout"}]),
            claimed_by: Some("worker-1".to_owned()),
            lease_expires_at: None,
        }
    );

    let property = round_trip!(
        db,
        property,
        property::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            remote_id: "p-100".to_owned(),
            remote_data: json!({"PropertyName": "Maple Court", "Units": 120}),
            content_hash: "b3:0123abcd".to_owned(),
            created_at: instant(6, 2, 1),
            updated_at: instant(6, 2, 2),
            remote_deleted_at: None,
            name: "Maple Court".to_owned(),
            address_line1: Some("12 Maple St".to_owned()),
            address_line2: None,
            city: Some("Denver".to_owned()),
            state: Some("CO".to_owned()),
            postal_code: Some("80202".to_owned()),
            country: Some("US".to_owned()),
            time_zone: Some("America/Denver".to_owned()),
            time_zone_override: None,
            access_start_time: Some(time(10, 0, 0)),
            access_end_time: Some(time(16, 30, 15)),
            unit_count: Some(120),
        }
    );
    let unit = round_trip!(
        db,
        unit,
        unit::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            remote_id: "u-1".to_owned(),
            remote_data: json!({"UnitNumber": "101"}),
            content_hash: "b3:u1".to_owned(),
            created_at: instant(6, 3, 0),
            updated_at: instant(6, 3, 0),
            remote_deleted_at: Some(instant(7, 0, 1)),
            property_id: property.id,
            number: "101".to_owned(),
            building: None,
            floorplan: Some("2x1.5".to_owned()),
            bedrooms: Some(2),
            bathrooms: Some(1.5),
            square_feet: Some(875),
            market_rent_cents: Some(189_900),
            occupancy: "OCCUPIED".to_owned(),
        }
    );
    // A synced row's parent is checked when its transaction commits (the keys are deferred, see
    // m20261204_000001): inside a transaction the orphan is accepted, and the commit refuses it.
    let orphan = unit::Model {
        id: Uuid::new_v4(),
        remote_id: "u-orphan".to_owned(),
        property_id: Uuid::new_v4(),
        ..unit.clone()
    };
    let txn = db.begin().await.expect("begin");
    unit::ActiveModel::from(orphan.clone()).reset_all().insert(&txn).await.expect("the check waits for the commit");
    let error = txn.commit().await.expect_err("a unit of a property that does not exist");
    assert!(
        matches!(error.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_)))
            || error.to_string().contains("oreign key"),
        "{error:?}"
    );
    assert_eq!(Unit::find_by_id(orphan.id).one(db).await.expect("read the orphan"), None);
    // Outside a transaction the statement is its own transaction: refused at once.
    Unit::insert(unit::ActiveModel::from(orphan.clone()).reset_all())
        .exec_without_returning(db)
        .await
        .expect_err("an orphan unit");
    assert_eq!(Unit::find_by_id(orphan.id).one(db).await.expect("read the orphan"), None);
    let unit_space = round_trip!(
        db,
        unit_space,
        unit_space::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            remote_id: "s-1".to_owned(),
            remote_data: json!(null),
            content_hash: "b3:s1".to_owned(),
            created_at: instant(6, 4, 0),
            updated_at: instant(6, 4, 0),
            remote_deleted_at: None,
            unit_id: unit.id,
            name: "Bedroom A".to_owned(),
        }
    );
    let resident = round_trip!(
        db,
        resident,
        resident::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            remote_id: "r-1".to_owned(),
            remote_data: json!(["a", 1]),
            content_hash: "b3:r1".to_owned(),
            created_at: instant(6, 5, 0),
            updated_at: instant(6, 5, 0),
            remote_deleted_at: None,
            first_name: "Ana".to_owned(),
            last_name: "O'Neil".to_owned(),
            email: Some("ana@example.com".to_owned()),
            phone: None,
        }
    );
    let lease = round_trip!(
        db,
        lease,
        lease::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            remote_id: "l-1".to_owned(),
            remote_data: json!({"LeaseStatus": "Current"}),
            content_hash: "b3:l1".to_owned(),
            created_at: instant(6, 6, 0),
            updated_at: instant(6, 6, 0),
            remote_deleted_at: None,
            property_id: property.id,
            unit_id: Some(unit.id),
            unit_space_id: Some(unit_space.id),
            status: "CURRENT".to_owned(),
            remote_status: Some("Current".to_owned()),
            start_date: Some(date(2026, 1, 1)),
            end_date: Some(date(2026, 12, 31)),
            move_in_date: Some(date(2025, 12, 30)),
            move_out_date: None,
            notice_date: None,
            rent_cents: Some(12_345_678_901),
            is_month_to_month: true,
        }
    );
    let lease_resident = round_trip!(
        db,
        lease_resident,
        lease_resident::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            remote_id: "l-1/r-1".to_owned(),
            remote_data: json!({"customerType": "Primary"}),
            content_hash: "b3:lr1".to_owned(),
            created_at: instant(6, 7, 0),
            updated_at: instant(6, 7, 0),
            remote_deleted_at: None,
            lease_id: lease.id,
            resident_id: resident.id,
            role: "PRIMARY".to_owned(),
            move_in_date: Some(date(2025, 12, 31)),
            move_out_date: None,
            status: "CURRENT".to_owned(),
        }
    );

    // The change feed and an access override, which go with their integration.
    let event = round_trip!(
        db,
        event,
        event::Model {
            id: Uuid::now_v7(),
            position: 1,
            integration_id: integration.id,
            customer_id: integration.customer_id,
            sync_job_id: None,
            event_type: "MOVED_IN".to_owned(),
            occurred_at: instant(6, 8, 1),
            property_id: Some(property.id),
            unit_id: Some(unit.id),
            lease_id: Some(lease.id),
            resident_id: Some(resident.id),
            lease_resident_id: Some(lease_resident.id),
            data: json!({"changes": {"status": {"old": "FUTURE", "new": "CURRENT"}}}),
        }
    );
    let same_position = event::ActiveModel::from(event::Model { id: Uuid::now_v7(), ..event.clone() })
        .reset_all()
        .insert(db)
        .await
        .expect_err("feed positions are unique");
    assert!(matches!(same_position.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))), "{same_position:?}");
    round_trip!(
        db,
        access_override,
        access_override::Model {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            lease_resident_id: lease_resident.id,
            starts_at: Some(instant(6, 9, 0)),
            ends_at: None,
            note: Some("early move-in".to_owned()),
            created_at: instant(6, 9, 1),
            updated_at: instant(6, 9, 2),
        }
    );

    // Relations, in both directions and through the join table.
    assert_eq!(lease.find_related(Resident).all(db).await.expect("a lease's residents"), vec![resident.clone()]);
    assert_eq!(resident.find_related(Lease).all(db).await.expect("a resident's leases"), vec![lease.clone()]);
    assert_eq!(unit.find_related(Property).one(db).await.expect("a unit's property"), Some(property.clone()));
    assert_eq!(
        integration.find_related(LeaseResident).all(db).await.expect("an integration's lease residents"),
        vec![lease_resident.clone()]
    );

    // (integration_id, remote_id) is unique per integration...
    let duplicate = property::Model { id: Uuid::new_v4(), name: "Maple Court (again)".to_owned(), ..property.clone() };
    let error = property::ActiveModel::from(duplicate.clone())
        .reset_all()
        .insert(db)
        .await
        .expect_err("a second property with the same remote id in one integration");
    assert!(matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))), "{error:?}");
    // ...and only per integration.
    let other_property =
        round_trip!(db, property, property::Model { integration_id: other_integration.id, ..duplicate });

    // Deleting a unit deletes its spaces and detaches the lease from both.
    unit::Entity::delete_by_id(unit.id).exec(db).await.expect("delete the unit");
    assert_eq!(UnitSpace::find_by_id(unit_space.id).one(db).await.expect("read the space"), None);
    let detached =
        Lease::find_by_id(lease.id).one(db).await.expect("read the lease").expect("the lease survives its unit");
    assert_eq!(detached, lease::Model { unit_id: None, unit_space_id: None, ..lease.clone() });

    // Deleting an integration deletes every row under it, and nothing else.
    let counts = |id: Uuid| async move {
        [
            SyncJob::find().filter(sync_job::Column::IntegrationId.eq(id)).count(db).await,
            Property::find().filter(property::Column::IntegrationId.eq(id)).count(db).await,
            Unit::find().filter(unit::Column::IntegrationId.eq(id)).count(db).await,
            UnitSpace::find().filter(unit_space::Column::IntegrationId.eq(id)).count(db).await,
            Resident::find().filter(resident::Column::IntegrationId.eq(id)).count(db).await,
            Lease::find().filter(lease::Column::IntegrationId.eq(id)).count(db).await,
            LeaseResident::find().filter(lease_resident::Column::IntegrationId.eq(id)).count(db).await,
        ]
        .map(|count| count.expect("count rows"))
    };
    assert_eq!(counts(integration.id).await, [1, 1, 0, 0, 1, 1, 1]);
    Integration::delete_by_id(integration.id).exec(db).await.expect("delete the integration");
    assert_eq!(counts(integration.id).await, [0; 7]);
    assert_eq!(Event::find().count(db).await.expect("count events"), 0);
    assert_eq!(AccessOverride::find().count(db).await.expect("count overrides"), 0);
    assert_eq!(counts(other_integration.id).await, [0, 1, 0, 0, 0, 0, 0]);
    assert_eq!(
        Property::find_by_id(other_property.id).one(db).await.expect("read the other property"),
        Some(other_property)
    );

    // Deleting the app deletes everything it owns.
    App::delete_by_id(app.id).exec(db).await.expect("delete the app");
    assert_eq!(ApiToken::find().count(db).await.expect("count tokens"), 0);
    assert_eq!(Customer::find().count(db).await.expect("count customers"), 0);
    assert_eq!(Integration::find().count(db).await.expect("count integrations"), 0);
    assert_eq!(Property::find().count(db).await.expect("count properties"), 0);

    // Down drops everything; up recreates a working schema.
    Migrator::down(db, None).await.expect("migrate down");
    assert_tables(db, false).await;
    Migrator::up(db, None).await.expect("migrate up after down");
    assert_tables(db, true).await;
    round_trip!(db, app, app_model("acme"));
}

#[test]
fn database_url_replaces_the_database() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5433/postgres", "x"),
        "postgres://postgres@127.0.0.1:5433/x"
    );
    assert_eq!(database_url("postgres://u:p@h/postgres?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(database_url("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
