//! `seed-demo`: realistic synthetic suppliers with varied statuses, statements and
//! evidence, for trying the registry out and for benchmarks.

use chrono::{Duration, NaiveDateTime};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::db::DbConn;
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::history::{self, NewStatusEvent};
use crate::db::models::signature::{self, SignatureRow, StatementRow};
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now, pledge};
use crate::domain::Action;
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::lifecycle::Status;
use crate::domain::{CompanyNumber, EvidenceId, SignatureId, Slug, SupplierId, WebUrl};
use crate::usecases::signature::reaffirm_by;

const FIRST: &[&str] = &[
    "Care",
    "Carewise",
    "Hearth",
    "Kindred",
    "Beacon",
    "Willow",
    "Harbour",
    "Northgate",
    "Meadow",
    "Oakleaf",
    "Brightpath",
    "Evergreen",
    "Lantern",
    "Compass",
    "Haven",
    "Riverside",
    "Summit",
    "Tandem",
    "Allied",
    "Greenfield",
];
const SECOND: &[&str] = &[
    "Digital",
    "Health",
    "Systems",
    "Technologies",
    "Software",
    "Analytics",
    "Connect",
    "Labs",
    "Solutions",
    "Data",
    "Insight",
    "Monitoring",
    "Record",
    "Planning",
    "Assist",
    "Telecare",
];
const SUFFIX: &[&str] = &["Ltd", "Limited", "LLP", "Group", "UK Ltd", "CIC"];
const PRODUCTS: &[&str] = &[
    "Digital care records",
    "eMAR medication management",
    "Acoustic monitoring",
    "Falls detection",
    "Rostering and scheduling",
    "Care planning assistant",
    "Family portal",
    "Hydration tracking",
    "Voice notes to care notes",
    "Risk prediction dashboard",
];
/// Statements as suppliers write them, a few per commitment of the first version.
const STATEMENTS: &[(&str, &[&str])] = &[
    (
        "co_production",
        &[
            "An advisory panel of people who draw on care and frontline carers reviews every AI feature before release, and we publish what changed as a result.",
            "We co-design new features in workshops with care home residents, families and carers, and pay participants for their time.",
        ],
    ),
    (
        "transparency",
        &[
            "Every AI-generated note is labelled as such, and our product guide explains in plain English what the AI does and does not do.",
            "We publish a model card for each AI feature, covering its purpose, data sources and known limits.",
        ],
    ),
    (
        "safety",
        &[
            "We keep a clinical safety case and hazard log (DCB0129), and a carer can review and override every suggestion.",
            "Before each release we run a clinical safety assessment; incidents are reviewed within two working days.",
        ],
    ),
    (
        "fairness",
        &[
            "We test accuracy across age, sex, ethnicity and disability before each release and publish the results.",
            "Our products meet WCAG 2.2 AA, and we check outputs for bias with an independent reviewer every year.",
        ],
    ),
    (
        "data_protection",
        &[
            "Care records are processed in the UK under a published DPIA and are never used to train models.",
            "We hold Cyber Essentials Plus and ISO/IEC 27001, and meet the Data Security and Protection Toolkit standard.",
        ],
    ),
    (
        "accountability",
        &[
            "Our Chief Technology Officer is accountable for AI; concerns sent to our AI inbox get a reply within ten working days.",
            "We report each year on how we keep this pledge, and name a board member responsible for responsible AI.",
        ],
    ),
];

/// Adds `count` suppliers; returns how many were added.
pub fn seed_demo(conn: &mut DbConn, count: u32, reaffirm_months: u32) -> anyhow::Result<u32> {
    let Some(version) = pledge::current(conn)? else {
        anyhow::bail!("no pledge version is published");
    };
    let commitments = pledge::commitments_of(conn, &version.version)?;
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut made = 0;
    for chunk in (0..count).collect::<Vec<_>>().chunks(200) {
        conn.transaction::<_, anyhow::Error, _>(|conn| {
            crate::db::take_write_lock(conn)?;
            for &index in chunk {
                let (id, name) = fill(
                    conn,
                    &mut rng,
                    index,
                    &version.version,
                    &commitments,
                    reaffirm_months,
                )?;
                // Recorded after everything about it is written, as one public change.
                let entry = audit::Entry::new("system", Action::SupplierRegistered, "supplier", id)
                    .supplier(id)
                    .after(json!({ "name": name, "seed": true }));
                crate::usecases::changes::record(conn, now(), entry)?;
                made += 1;
            }
            Ok(())
        })?;
    }
    // Planner statistics for what was just loaded: without them PostgreSQL, until
    // autovacuum gets round to it, sorts every active supplier to show a page of 50.
    conn.batch_execute("ANALYZE")?;
    Ok(made)
}

fn web_url(raw: &str) -> anyhow::Result<WebUrl> {
    WebUrl::try_from(raw).map_err(|e| anyhow::anyhow!("{raw}: {e}"))
}

/// Each status, in the order the first suppliers of a demo take them, so that every
/// demo shows every state; the rest are drawn.
const SHOWCASE: [Status; 6] = [
    Status::Active,
    Status::Pending,
    Status::Lapsed,
    Status::Suspended,
    Status::Withdrawn,
    Status::Unsigned,
];

/// The links of the first (active) demo supplier: one in each state a care provider
/// meets, the first a certification.
const SHOWCASE_LINKS: [EvidenceHealth; 5] = [
    EvidenceHealth::Ok,
    EvidenceHealth::Redirected,
    EvidenceHealth::Broken,
    EvidenceHealth::Pending,
    EvidenceHealth::Restricted,
];

/// Why a demo signature was suspended or withdrawn.
fn ending_reason(status: Status) -> Option<&'static str> {
    match status {
        Status::Suspended => Some("Evidence under review following a complaint"),
        Status::Withdrawn => Some("Product line discontinued"),
        _ => None,
    }
}

/// When each step of a demo supplier's story happened: registered, signed, verified,
/// reaffirmed, and suspended, withdrawn or lapsed, in that order and none to come.
struct Timeline {
    now: NaiveDateTime,
    created: NaiveDateTime,
    signed: NaiveDateTime,
    verified: Option<NaiveDateTime>,
    reaffirmed: Option<NaiveDateTime>,
    /// When it was suspended, withdrew or lapsed.
    ended: Option<NaiveDateTime>,
}

impl Timeline {
    fn draw(rng: &mut impl Rng, status: Status, now: NaiveDateTime, months: u32) -> Timeline {
        let day = Duration::days;
        let signed = if status == Status::Lapsed {
            // Its date to reaffirm passed some weeks ago.
            now - day(i64::from(months) * 31 + rng.gen_range(1..60))
        } else {
            now - day(rng.gen_range(10..700))
        };
        let created = signed - day(rng.gen_range(1..30));
        let verified =
            (!matches!(status, Status::Unsigned | Status::Pending)).then(|| signed + day(2));
        let settled = verified.unwrap_or(signed);
        let ended = match status {
            Status::Lapsed => Some(reaffirm_by(signed, months)),
            Status::Suspended | Status::Withdrawn => {
                Some((now - day(rng.gen_range(0..30))).max(settled + day(1)))
            }
            _ => None,
        };
        // A signature older than its first date to reaffirm was reaffirmed, before it
        // ended if it did; a lapsed one never was.
        let until = ended.unwrap_or(now);
        let reaffirmed = (status != Status::Lapsed
            && status != Status::Unsigned
            && reaffirm_by(signed, months) <= now)
            .then(|| {
                (until - day(rng.gen_range(1..200)))
                    .max(settled + day(1))
                    .min(until - Duration::hours(1))
            });
        Timeline {
            now,
            created,
            signed,
            verified,
            reaffirmed,
            ended,
        }
    }

    /// When the signature's status last changed.
    fn status_changed(&self) -> NaiveDateTime {
        self.ended.or(self.verified).unwrap_or(self.signed)
    }

    /// The last thing that happened to the record.
    fn last(&self) -> NaiveDateTime {
        [
            Some(self.created),
            Some(self.signed),
            self.verified,
            self.reaffirmed,
            self.ended,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.created)
    }
}

fn fill(
    conn: &mut DbConn,
    rng: &mut impl Rng,
    index: u32,
    version: &str,
    commitments: &[pledge::CommitmentRow],
    reaffirm_months: u32,
) -> anyhow::Result<(SupplierId, String)> {
    let pick =
        |rng: &mut dyn rand::RngCore, list: &[&'static str]| *list.choose(rng).unwrap_or(&"");
    let draw = |rng: &mut dyn rand::RngCore| {
        format!(
            "{} {} {}",
            pick(rng, FIRST),
            pick(rng, SECOND),
            pick(rng, SUFFIX)
        )
    };
    // Names another demo supplier has are drawn again (a few times): two suppliers of
    // one name are real, but they make a poor demonstration of search.
    let mut name = draw(rng);
    let mut slug = supplier::free_slug(conn, &Slug::from_name(&name))?;
    for _ in 0..20 {
        if slug == Slug::from_name(&name) {
            break;
        }
        name = draw(rng);
        slug = supplier::free_slug(conn, &Slug::from_name(&name))?;
    }
    let id = SupplierId::new();
    let company_number = match rng.gen_range(0..10) {
        0 => None,
        1 => Some(format!("SC{:06}", rng.gen_range(0..1_000_000))),
        _ => Some(format!("{:08}", rng.gen_range(0..100_000_000))),
    }
    .filter(|cn| !supplier::company_number_taken(conn, cn, None).unwrap_or(true))
    .map(|cn| CompanyNumber::try_from(cn.as_str()))
    .transpose()
    .map_err(anyhow::Error::msg)?;
    let mut products: Vec<&str> = {
        let n = rng.gen_range(1..4);
        PRODUCTS.choose_multiple(rng, n)
    }
    .copied()
    .collect();
    products.sort();
    let roll = rng.gen_range(0..100);
    let status = match (SHOWCASE.get(index as usize), roll) {
        (Some(status), _) => *status,
        (None, 0..=9) => Status::Unsigned,
        (None, 10..=24) => Status::Pending,
        (None, 25..=79) => Status::Active,
        (None, 80..=87) => Status::Lapsed,
        (None, 88..=93) => Status::Suspended,
        (None, _) => Status::Withdrawn,
    };
    let timeline = Timeline::draw(rng, status, now(), reaffirm_months);
    let (at, created) = (timeline.now, timeline.created);
    let updated_at = match status {
        Status::Unsigned => created,
        _ => timeline.last(),
    };
    let website_host = slug.as_str().replace('-', "");
    let mut row = SupplierRow {
        id,
        slug: slug.to_string(),
        search_name: supplier::search_name(&name, &json!(products).to_string()),
        name: name.clone(),
        website: web_url(&format!("https://www.{website_host}.example"))?,
        company_number,
        description: format!(
            "{name} builds {} for adult social care providers.",
            products.join(", ").to_lowercase()
        ),
        products: json!(products).to_string(),
        contact_name: "Demo Contact".into(),
        contact_email: format!("governance@{website_host}.example"),
        verified_at: timeline.verified,
        status,
        signed_version: None,
        revision: 1,
        created_at: created,
        updated_at,
    };
    if status != Status::Unsigned {
        row.signed_version = Some(version.to_owned());
    }
    supplier::insert(conn, &row)?;
    let member = crate::usecases::accounts::new_member(
        id,
        row.contact_email.clone(),
        row.contact_name.clone(),
        crate::domain::account::MemberRole::Owner,
        "system",
        created,
    );
    let owner = member.id;
    crate::db::models::members::insert(conn, &member)?;

    // Demo contacts are nobody's: no reminder is written for them.
    let kinds = crate::mail::letters::reminder_kinds();
    for kind in kinds {
        crate::db::models::members::set_reminder(conn, owner, kind, false, &kinds, created)?;
    }

    if status == Status::Unsigned {
        return Ok((id, name));
    }
    let signed_at = timeline.signed;
    let sig = SignatureRow {
        id: SignatureId::new(),
        supplier_id: id,
        pledge_version: version.to_owned(),
        signatory_name: "Alex Morgan".into(),
        signatory_role: "Chief Executive".into(),
        signed_at,
        reaffirmed_at: timeline.reaffirmed,
        reaffirm_by: reaffirm_by(timeline.reaffirmed.unwrap_or(signed_at), reaffirm_months),
        status,
        status_reason: ending_reason(status).map(str::to_owned),
        suspended_from: (status == Status::Suspended).then_some(Status::Active),
        status_changed_at: timeline.status_changed(),
        withdrawn_at: timeline.ended.filter(|_| status == Status::Withdrawn),
    };
    let statements: Vec<StatementRow> = commitments
        .iter()
        .map(|c| StatementRow {
            signature_id: sig.id,
            commitment_code: c.code.clone(),
            position: c.position,
            body: STATEMENTS
                .iter()
                .find(|(code, _)| *code == c.code)
                .and_then(|(_, texts)| texts.choose(rng))
                .map(|t| t.to_string())
                .unwrap_or_else(|| {
                    format!(
                        "We describe how we meet the {} commitment in our published policy.",
                        c.title.to_lowercase()
                    )
                }),
        })
        .collect();
    signature::insert(conn, &sig, &statements)?;
    // Its history, one event a step, as the registry would have written it.
    let mut steps = vec![(
        "signed",
        Status::Unsigned,
        Status::Pending,
        "supplier:demo",
        signed_at,
    )];
    if let Some(on) = timeline.verified {
        steps.push((
            "verified",
            Status::Pending,
            Status::Active,
            "admin:demo",
            on,
        ));
    }
    if let Some(on) = timeline.reaffirmed {
        let was = if timeline.verified.is_some_and(|v| v < on) {
            Status::Active
        } else {
            Status::Pending
        };
        steps.push(("reaffirmed", was, was, "supplier:demo", on));
    }
    if let Some(on) = timeline.ended {
        let (event, actor) = match status {
            Status::Suspended => ("suspended", "admin:demo"),
            Status::Withdrawn => ("withdrawn", "supplier:demo"),
            _ => ("lapsed", "system"),
        };
        steps.push((event, Status::Active, status, actor, on));
    }
    for (event, from, to, actor, on) in steps {
        let ends = matches!(event, "suspended" | "withdrawn");
        history::insert(
            conn,
            &NewStatusEvent {
                supplier_id: id,
                signature_id: Some(sig.id),
                pledge_version: Some(version),
                event,
                from_status: Some(from),
                to_status: to,
                reason: ending_reason(status).filter(|_| ends),
                actor,
                at: on,
            },
        )?;
    }
    let showcase = index == 0;
    let links = if showcase {
        SHOWCASE_LINKS.len()
    } else {
        rng.gen_range(1..5)
    };
    for n in 0..links {
        let kind = if showcase && n == 0 {
            EvidenceKind::Certification
        } else {
            *EvidenceKind::ALL
                .choose(rng)
                .unwrap_or(&EvidenceKind::Policy)
        };
        let certification = kind == EvidenceKind::Certification;
        let health = match rng.gen_range(0..20) {
            0 => EvidenceHealth::Broken,
            1 => EvidenceHealth::Redirected,
            2 => EvidenceHealth::Restricted,
            3..=5 => EvidenceHealth::Pending,
            _ => EvidenceHealth::Ok,
        };
        let health = match SHOWCASE_LINKS.get(n).filter(|_| showcase) {
            Some(h) => *h,
            None => health,
        };
        // Some links not yet flagged have failed once: checked, waiting for the next check.
        let failed_once = health == EvidenceHealth::Pending && (showcase || rng.gen_bool(0.5));
        let e = EvidenceRow {
            id: EvidenceId::new(),
            supplier_id: id,
            url: web_url(&format!(
                "https://www.{website_host}.example/trust/{}",
                kind.as_str().replace('_', "-")
            ))?,
            title: format!("{} {}", name, kind.as_str().replace('_', " ")),
            kind,
            scheme: certification
                .then(|| *CertScheme::ALL.choose(rng).unwrap_or(&CertScheme::Other)),
            reference: certification.then(|| format!("CERT-{:06}", rng.gen_range(0..1_000_000))),
            expires_on: certification
                .then(|| (at + Duration::days(rng.gen_range(-60..400))).date()),
            health,
            http_status: (health != EvidenceHealth::Pending).then_some(
                if health == EvidenceHealth::Broken {
                    404
                } else {
                    200
                },
            ),
            final_url: (health == EvidenceHealth::Redirected).then(|| {
                format!(
                    "https://www.{website_host}.example/policies/{}",
                    kind.as_str().replace('_', "-")
                )
            }),
            checked_at: (health != EvidenceHealth::Pending || failed_once).then_some(at),
            last_ok_at: matches!(health, EvidenceHealth::Ok | EvidenceHealth::Redirected)
                .then_some(at),
            consecutive_failures: if health == EvidenceHealth::Broken {
                3
            } else {
                i32::from(failed_once)
            },
            created_at: signed_at,
            updated_at: signed_at,
            retired_at: None,
            claimed_by: None,
            claimed_until: None,
            check_detail: None,
            snapshot_note: None,
        };
        let mut codes: Vec<String> = {
            let n = rng.gen_range(1..3);
            commitments.choose_multiple(rng, n)
        }
        .map(|c| c.code.clone())
        .collect();
        codes.sort();
        evidence::insert(conn, &e, &codes)?;
    }
    Ok((id, name))
}
