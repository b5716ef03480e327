//! Table definitions shared by both backends (see `migrations/{sqlite,postgres}`).

diesel::table! {
    pledge_versions (version) {
        version -> Text,
        position -> Integer,
        title -> Text,
        summary -> Text,
        source_url -> Text,
        published_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    commitments (version, code) {
        version -> Text,
        code -> Text,
        position -> Integer,
        title -> Text,
        description -> Text,
    }
}

diesel::table! {
    suppliers (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        search_name -> Text,
        website -> Text,
        company_number -> Nullable<Text>,
        description -> Text,
        products -> Text,
        contact_name -> Text,
        contact_email -> Text,
        verified_at -> Nullable<Timestamp>,
        status -> Text,
        signed_version -> Nullable<Text>,
        revision -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signatures (id) {
        id -> Text,
        supplier_id -> Text,
        pledge_version -> Text,
        signatory_name -> Text,
        signatory_role -> Text,
        signed_at -> Timestamp,
        reaffirmed_at -> Nullable<Timestamp>,
        reaffirm_by -> Timestamp,
        status -> Text,
        status_reason -> Nullable<Text>,
        suspended_from -> Nullable<Text>,
        status_changed_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    statements (signature_id, commitment_code) {
        signature_id -> Text,
        commitment_code -> Text,
        position -> Integer,
        body -> Text,
    }
}

diesel::table! {
    evidence (id) {
        id -> Text,
        supplier_id -> Text,
        url -> Text,
        title -> Text,
        kind -> Text,
        scheme -> Nullable<Text>,
        reference -> Nullable<Text>,
        expires_on -> Nullable<Date>,
        health -> Text,
        http_status -> Nullable<Integer>,
        final_url -> Nullable<Text>,
        checked_at -> Nullable<Timestamp>,
        last_ok_at -> Nullable<Timestamp>,
        consecutive_failures -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        check_detail -> Nullable<Text>,
        snapshot_note -> Nullable<Text>,
    }
}

diesel::table! {
    company_checks (supplier_id) {
        supplier_id -> Text,
        company_number -> Text,
        outcome -> Nullable<Text>,
        registered_name -> Nullable<Text>,
        company_status -> Nullable<Text>,
        incorporated_on -> Nullable<Date>,
        flags -> Text,
        checked_at -> Nullable<Timestamp>,
        attempted_at -> Timestamp,
        attempt_error -> Nullable<Text>,
    }
}

diesel::table! {
    evidence_snapshots (id) {
        id -> BigInt,
        evidence_id -> Text,
        supplier_id -> Text,
        taken_at -> Timestamp,
        seen_at -> Timestamp,
        body_sha256 -> Text,
        content_type -> Text,
        size -> BigInt,
        text_sha256 -> Nullable<Text>,
        text -> Nullable<Binary>,
        stored_bytes -> BigInt,
    }
}

diesel::table! {
    snapshot_pins (id) {
        id -> BigInt,
        evidence_id -> Text,
        snapshot_id -> BigInt,
        signature_id -> Text,
        reason -> Text,
        pinned_at -> Timestamp,
    }
}

diesel::table! {
    evidence_checks (id) {
        id -> BigInt,
        evidence_id -> Text,
        checked_at -> Timestamp,
        outcome -> Text,
        http_status -> Nullable<Integer>,
        final_url -> Nullable<Text>,
        detail -> Text,
        duration_ms -> Integer,
    }
}

diesel::table! {
    evidence_commitments (evidence_id, commitment_code) {
        evidence_id -> Text,
        commitment_code -> Text,
    }
}

diesel::table! {
    status_events (id) {
        id -> BigInt,
        supplier_id -> Text,
        signature_id -> Nullable<Text>,
        pledge_version -> Nullable<Text>,
        event -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        supplier_id -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
        public_json -> Nullable<Text>,
        salt -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        public_x -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        compromised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tokens (jti) {
        jti -> Text,
        role -> Text,
        supplier_id -> Nullable<Text>,
        label -> Nullable<Text>,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        kid -> Nullable<Text>,
        issuer -> Nullable<Text>,
        scope -> Nullable<Text>,
        member_id -> Nullable<Text>,
        kind -> Nullable<Text>,
        subscriber_id -> Nullable<Text>,
        operator_id -> Nullable<Text>,
    }
}

diesel::table! {
    subscribers (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        added_by -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        subscriber_id -> Text,
        url -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_until -> Nullable<Timestamp>,
        event_types -> Text,
        supplier_ids -> Text,
        statuses -> Text,
        created_at -> Timestamp,
        paused_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        position -> BigInt,
        attempts -> Integer,
        failing_since -> Nullable<Timestamp>,
        retry_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        turn_at -> Nullable<Timestamp>,
        replay_from -> Nullable<BigInt>,
        replay_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        subscription_id -> Text,
        seq -> BigInt,
        message_id -> Text,
        attempt -> Integer,
        at -> Timestamp,
        status -> Nullable<Integer>,
        latency_ms -> Integer,
        response -> Text,
        error -> Nullable<Text>,
        redelivery -> Bool,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        supplier_id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        added_by -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        reminders_off_at -> Nullable<Timestamp>,
        unsubscribe_key -> Text,
    }
}

diesel::table! {
    sign_in_links (secret_hash) {
        secret_hash -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        asked -> Bool,
        purpose -> Text,
        subscriber_name -> Nullable<Text>,
        member_id -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_key -> Text,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        unsubscribe -> Nullable<Text>,
        supplier_id -> Nullable<Text>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        reply_to -> Nullable<Text>,
    }
}

diesel::table! {
    supplier_records (supplier_id) {
        supplier_id -> Text,
        slug -> Text,
        record -> Text,
        summary -> Text,
        etag -> Text,
        expires_next -> Nullable<Date>,
        projected_at -> Timestamp,
        evidence_summary -> Text,
    }
}

diesel::table! {
    log_tiles (level, idx) {
        level -> SmallInt,
        idx -> BigInt,
        hashes -> Binary,
    }
}

diesel::table! {
    log_checkpoints (size) {
        size -> BigInt,
        root -> Binary,
        note -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    log_cosignatures (size, witness) {
        size -> BigInt,
        witness -> Text,
        line -> Text,
        cosigned_at -> Timestamp,
    }
}

diesel::table! {
    concerns (id) {
        id -> Text,
        supplier_id -> Nullable<Text>,
        about -> Text,
        details -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<Text>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    operators (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        added_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    concern_replies (id) {
        id -> Text,
        concern_id -> Text,
        body -> Text,
        written_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(commitments -> pledge_versions (version));
diesel::joinable!(supplier_records -> suppliers (supplier_id));
diesel::joinable!(signatures -> suppliers (supplier_id));
diesel::joinable!(statements -> signatures (signature_id));
diesel::joinable!(evidence -> suppliers (supplier_id));
diesel::joinable!(evidence_commitments -> evidence (evidence_id));
diesel::joinable!(evidence_checks -> evidence (evidence_id));
diesel::joinable!(status_events -> suppliers (supplier_id));
diesel::table! {
    reminders_off (member_id, kind) {
        member_id -> Text,
        kind -> Text,
        off_at -> Timestamp,
    }
}

diesel::joinable!(members -> suppliers (supplier_id));
diesel::joinable!(reminders_off -> members (member_id));

diesel::joinable!(snapshot_pins -> evidence_snapshots (snapshot_id));
diesel::allow_tables_to_appear_in_same_query!(
    company_checks,
    evidence_snapshots,
    snapshot_pins,
    pledge_versions,
    supplier_records,
    commitments,
    suppliers,
    signatures,
    statements,
    evidence,
    evidence_commitments,
    evidence_checks,
    status_events,
    audit_log,
    tokens,
    signing_keys,
    job_leases,
    members,
    reminders_off,
    sign_in_links,
    outbox,
    subscribers,
    webhook_subscriptions,
    webhook_deliveries,
    concerns,
    log_tiles,
    log_checkpoints,
    log_cosignatures,
    operators,
    concern_replies,
);
