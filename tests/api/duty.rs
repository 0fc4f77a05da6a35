//! The duty workflow under first-contact responsibility (首接责任制).

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, referral, with};

pub async fn routed_referral(app: &TestApp, at: (f64, f64)) -> String {
    let hotline = app.hotline().await;
    let reply = app
        .post(&hotline, "/api/v1/referrals", &referral(app.now(), at))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    reply.body["id"].as_str().unwrap().to_owned()
}

pub async fn act(
    app: &TestApp,
    who: &Account,
    id: &str,
    step: &str,
    body: Value,
) -> crate::helpers::Reply {
    app.post(who, &format!("/api/v1/referrals/{id}/{step}"), &body)
        .await
}

fn kinds(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_referral_walks_from_routed_to_closed_with_every_step_on_record(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let duty = app.duty("xintai").await;

    let accepted = act(&app, &duty, &id, "accept", json!({})).await;
    let en_route = act(
        &app,
        &duty,
        &id,
        "en-route",
        json!({"note": "two staff, van 3"}),
    )
    .await;
    let on_scene = act(
        &app,
        &duty,
        &id,
        "on-scene",
        json!({"location": {"lat": 35.9105, "lon": 117.7601}}),
    )
    .await;
    let resolved = act(
        &app,
        &duty,
        &id,
        "resolve",
        json!({"outcome": "admitted_to_station", "note": "came in willingly"}),
    )
    .await;
    let closed = act(&app, &duty, &id, "close", json!({})).await;

    for (reply, status) in [
        (&accepted, "accepted"),
        (&en_route, "en_route"),
        (&on_scene, "on_scene"),
        (&resolved, "resolved"),
        (&closed, "closed"),
    ] {
        assert_eq!(reply.status, StatusCode::OK, "{status}: {:?}", reply.body);
        assert_eq!(reply.body["status"], status);
        assert_eq!(reply.body["accountable_station"], "xintai");
    }
    assert_eq!(closed.body["outcome"], "admitted_to_station");
    assert_eq!(
        kinds(&closed),
        [
            "created", "routed", "accepted", "en_route", "on_scene", "resolved", "closed"
        ]
    );
    let accept_event = &closed.body["events"][2];
    assert_eq!(accept_event["actor"], duty.username.as_str());
    assert_eq!(accept_event["actor_role"], "duty");
    assert_eq!(accept_event["station"], "xintai");
    assert_eq!(
        (
            accept_event["from_status"].as_str(),
            accept_event["to_status"].as_str()
        ),
        (Some("routed"), Some("accepted"))
    );
    assert_eq!(
        app.count(
            "referral_events",
            "location is not null and kind = 'on_scene'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_step_out_of_order_is_409_naming_the_current_state_and_changes_nothing(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let duty = app.duty("xintai").await;

    let early = act(&app, &duty, &id, "on-scene", json!({})).await;
    let resolve_early = act(&app, &duty, &id, "resolve", json!({"outcome": "not_found"})).await;
    act(&app, &duty, &id, "accept", json!({})).await;
    let twice = act(&app, &duty, &id, "accept", json!({})).await;

    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.error_code(), "invalid_transition");
    assert!(
        early.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("routed")
    );
    assert_eq!(resolve_early.status, StatusCode::CONFLICT);
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(
        twice.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("accepted")
    );
    assert_eq!(app.count("referral_events", "true").await, 3);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn officers_of_another_station_get_404_and_roles_that_do_not_sign_403(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;

    let other_station = act(&app, &app.duty("taian").await, &id, "accept", json!({})).await;
    let patrol = act(&app, &app.patrol().await, &id, "accept", json!({})).await;
    let hotline = act(&app, &app.hotline().await, &id, "accept", json!({})).await;
    let supervisor = act(&app, &app.supervisor().await, &id, "accept", json!({})).await;

    // Out of the account's scope, the referral is absent; in it, the role may not sign.
    for reply in [&other_station, &patrol] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    for reply in [&hotline, &supervisor] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("referrals", "status = 'routed'").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn two_officers_accepting_at_once_one_wins_and_the_other_gets_409(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    for _ in 0..5 {
        let id = routed_referral(&app, XINTAI_CENTRE).await;
        let (a, b) = (app.duty("xintai").await, app.duty("xintai").await);

        let (ra, rb) = tokio::join!(
            act(&app, &a, &id, "accept", json!({})),
            act(&app, &b, &id, "accept", json!({}))
        );

        let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409]);
        assert_eq!(
            app.count(
                "referral_events",
                &format!("referral_id = '{id}' and kind = 'accepted'")
            )
            .await,
            1
        );
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_transfer_keeps_the_first_station_accountable_until_the_receiver_accepts(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;

    let transferred = act(
        &app,
        &xintai,
        &id,
        "transfer",
        json!({"to_station": "feicheng", "reason": "the person moved west"}),
    )
    .await;
    let first_cannot_accept = act(&app, &xintai, &id, "accept", json!({})).await;
    let accepted = act(&app, &feicheng, &id, "accept", json!({})).await;
    let first_now_out = act(&app, &xintai, &id, "en-route", json!({})).await;

    assert_eq!(transferred.status, StatusCode::OK, "{:?}", transferred.body);
    assert_eq!(transferred.body["status"], "routed");
    assert_eq!(transferred.body["station"]["code"], "feicheng");
    assert_eq!(transferred.body["accountable_station"], "xintai");
    assert_eq!(transferred.body["pending_transfer_to"], "feicheng");
    assert_eq!(first_cannot_accept.status, StatusCode::CONFLICT);
    assert_eq!(accepted.body["accountable_station"], "feicheng");
    assert!(accepted.body["pending_transfer_to"].is_null());
    assert_eq!(first_now_out.status, StatusCode::NOT_FOUND);
    assert_eq!(
        kinds(&accepted),
        ["created", "routed", "transferred", "accepted"]
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_refused_transfer_returns_the_referral_to_the_first_station_as_it_was(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    act(&app, &xintai, &id, "accept", json!({})).await;
    act(
        &app,
        &xintai,
        &id,
        "transfer",
        json!({"to_station": "feicheng", "reason": "nearer to them"}),
    )
    .await;

    let no_reason = act(
        &app,
        &feicheng,
        &id,
        "refuse-transfer",
        json!({"reason": "  "}),
    )
    .await;
    let refused = act(
        &app,
        &feicheng,
        &id,
        "refuse-transfer",
        json!({"reason": "the address is in Xintai"}),
    )
    .await;
    let carry_on = act(&app, &xintai, &id, "en-route", json!({})).await;

    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.error_code(), "reason_required");
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(refused.body["status"], "accepted");
    assert_eq!(refused.body["station"]["code"], "xintai");
    assert_eq!(refused.body["accountable_station"], "xintai");
    assert_eq!(carry_on.status, StatusCode::OK);
    let last = refused.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "transfer_refused");
    assert_eq!(last["note"], "the address is in Xintai");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn bad_transfers_are_refused_with_their_codes(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let xintai = app.duty("xintai").await;

    let unknown = act(
        &app,
        &xintai,
        &id,
        "transfer",
        json!({"to_station": "jinan", "reason": "x"}),
    )
    .await;
    let to_self = act(
        &app,
        &xintai,
        &id,
        "transfer",
        json!({"to_station": "xintai", "reason": "x"}),
    )
    .await;
    let bad_outcome = act(
        &app,
        &xintai,
        &id,
        "resolve",
        json!({"outcome": "vanished"}),
    )
    .await;
    let missing = act(
        &app,
        &xintai,
        &uuid::Uuid::new_v4().to_string(),
        "accept",
        json!({}),
    )
    .await;

    assert_eq!(unknown.error_code(), "unknown_station");
    assert_eq!(to_self.error_code(), "invalid_transfer");
    assert_eq!(bad_outcome.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_supervisor_may_close_and_transfer_but_not_sign_for_a_station(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let supervisor = app.supervisor().await;

    let transfer = act(
        &app,
        &supervisor,
        &id,
        "transfer",
        json!({"to_station": "taian", "reason": "city station has a van free"}),
    )
    .await;
    let accept = act(&app, &supervisor, &id, "accept", json!({})).await;

    assert_eq!(transfer.status, StatusCode::OK);
    assert_eq!(accept.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn steps_accept_no_body_at_all(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let duty = app.duty("xintai").await;

    let reply = app
        .post_raw(&duty, &format!("/api/v1/referrals/{id}/accept"), Vec::new())
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "accepted");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_queue_comes_in_pages_that_join_up_to_the_whole_queue(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let hotline = app.hotline().await;
    let duty = app.duty("xintai").await;
    // Two that 新泰 handed to 肥城 and answers for until 肥城 accepts: the queue's other half.
    let mut handed = Vec::new();
    for _ in 0..2 {
        let id = routed_referral(&app, XINTAI_CENTRE).await;
        let moved = act(
            &app,
            &duty,
            &id,
            "transfer",
            json!({"to_station": "feicheng", "reason": "moved west"}),
        )
        .await;
        assert_eq!(moved.status, StatusCode::OK);
        handed.push(id);
    }
    for i in 0..6 {
        let body = if i % 3 == 0 {
            with(
                referral(app.now(), XINTAI_CENTRE),
                "categories",
                json!(["minor"]),
            )
        } else {
            referral(app.now(), XINTAI_CENTRE)
        };
        assert_eq!(
            app.post(&hotline, "/api/v1/referrals", &body).await.status,
            StatusCode::CREATED
        );
    }
    let ids = |q: &crate::helpers::Reply| -> Vec<String> {
        q.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["referral"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let whole = app.get_as(&duty, "/api/v1/stations/xintai/queue").await;
    assert_eq!(ids(&whole).len(), 8);
    assert!(handed.iter().all(|id| ids(&whole).contains(id)));
    assert!(
        whole.body.get("next_cursor").is_none(),
        "one page holds it all"
    );

    let mut paged = Vec::new();
    let mut path = "/api/v1/stations/xintai/queue?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = app.get_as(&duty, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        paged.extend(ids(&page));
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/stations/xintai/queue?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3, "3 + 3 + 2");
    assert_eq!(
        paged,
        ids(&whole),
        "the pages join up in the queue's order, nothing twice"
    );
    let first = app
        .get_as(&duty, "/api/v1/stations/xintai/queue?limit=3")
        .await;
    assert_eq!(first.body["entries"][0]["referral"]["priority"], "urgent");

    for (query, code) in [
        ("limit=0", "invalid_page"),
        ("limit=x", "invalid_page"),
        ("cursor=zzz", "invalid_cursor"),
    ] {
        let bad = app
            .get_as(&duty, &format!("/api/v1/stations/xintai/queue?{query}"))
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(bad.error_code(), code, "{query}");
    }
}
