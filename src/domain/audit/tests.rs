use chrono::TimeZone;
use serde_json::json;

use super::checkpoint::{AuditSigner, Checkpoint, Reason};
use super::export::verify_export;
use super::*;

fn practice() -> Uuid {
    Uuid::parse_str("0190d0c4-8f1a-7c3e-9d2b-3a4b5c6d7e8f").unwrap()
}

/// The recipe is a promise to auditors (the README prints it): this pins its bytes.
#[test]
fn canonical_bytes_are_fixed() {
    let detail = json!({"b": 1, "a": "é\n"});
    let fields = RecordFields {
        practice: practice(),
        seq: 7,
        at: "2026-11-24T12:00:00.000000Z",
        actor: "system",
        action: "task.created",
        target: "task 1",
        detail: Some(&detail),
        request_id: None,
    };
    assert_eq!(
        String::from_utf8(canonical(&fields)).unwrap(),
        r#"["0190d0c4-8f1a-7c3e-9d2b-3a4b5c6d7e8f",7,"2026-11-24T12:00:00.000000Z","system","task.created","task 1",{"a":"é\n","b":1},null]"#
    );
    assert_eq!(
        at_text(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
        "2026-01-02T03:04:05.000000Z"
    );
}

/// Builds an export the way the service writes one: records, then a checkpoint of the head.
fn export(signer: &AuditSigner, records: usize, reason: Reason, corrupt: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut prev = GENESIS;
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let mut push =
        |seq: i64, action: &str, detail: Option<serde_json::Value>, prev: &mut [u8; 32]| {
            let at = at_text(at);
            let fields = RecordFields {
                practice: practice(),
                seq,
                at: &at,
                actor: "system",
                action,
                target: "t",
                detail: detail.as_ref(),
                request_id: None,
            };
            let hash = chain_hash(prev, &canonical(&fields));
            lines.push(
                json!({"practice_id": practice(), "seq": seq, "at": at, "actor": "system",
                "action": action, "target": "t", "detail": detail, "request_id": null,
                "prev_hash": hex::encode(*prev), "hash": hex::encode(hash)})
                .to_string(),
            );
            *prev = hash;
        };
    for seq in 1..=records as i64 {
        push(seq, "task.created", Some(json!({"n": seq})), &mut prev);
    }
    let mut signed = signer.sign(Checkpoint {
        practice: practice(),
        seq: records as i64,
        hash: prev,
        count: records as i64,
        at,
        reason,
    });
    if corrupt {
        signed.signature[0] ^= 1;
    }
    push(
        records as i64 + 1,
        CHECKPOINT_ACTION,
        Some(signed.detail()),
        &mut prev,
    );
    lines
}

#[test]
fn an_intact_export_verifies_and_each_defect_is_named() {
    let signer = AuditSigner::from_seed(&[7; 32]);
    let key = signer.public_key();
    let lines = export(&signer, 5, Reason::Export, false);
    let summary = verify_export(lines.iter().map(String::as_str), key).unwrap();
    assert_eq!((summary.records, summary.checkpoints), (6, 1));
    assert_eq!(summary.last.checkpoint.seq, 5);

    // An altered record.
    let mut altered = lines.clone();
    altered[2] = altered[2].replace("\"n\":3", "\"n\":4");
    let failure = verify_export(altered.iter().map(String::as_str), key).unwrap_err();
    assert_eq!((failure.line, failure.seq), (3, Some(3)), "{failure}");
    assert!(failure.reason.contains("altered"), "{failure}");

    // A gap.
    let mut gap = lines.clone();
    gap.remove(1);
    let failure = verify_export(gap.iter().map(String::as_str), key).unwrap_err();
    assert!(failure.reason.contains("gap"), "{failure}");

    // A missing tail: cut before the export's checkpoint.
    let failure = verify_export(lines[..4].iter().map(String::as_str), key).unwrap_err();
    assert!(failure.reason.contains("missing tail"), "{failure}");

    // Ending at a daily checkpoint is not the end of an export.
    let daily = export(&signer, 3, Reason::Daily, false);
    let failure = verify_export(daily.iter().map(String::as_str), key).unwrap_err();
    assert!(failure.reason.contains("daily"), "{failure}");

    // Another key.
    let other = AuditSigner::from_seed(&[8; 32]);
    let failure = verify_export(lines.iter().map(String::as_str), other.public_key()).unwrap_err();
    assert!(failure.reason.contains("not by the key given"), "{failure}");

    // A signature that does not verify (the record's hash recomputed to match).
    let corrupt = export(&signer, 5, Reason::Export, true);
    let failure = verify_export(corrupt.iter().map(String::as_str), key).unwrap_err();
    assert_eq!(failure.seq, Some(6), "{failure}");
    assert!(
        failure.reason.contains("signature does not verify"),
        "{failure}"
    );
}

#[test]
fn public_keys_read_back_as_printed() {
    let signer = AuditSigner::from_seed(&[1; 32]);
    let text = signer.public_key().to_hex();
    assert_eq!(text.len(), 64);
    assert_eq!(
        &checkpoint::AuditPublicKey::parse(&text).unwrap(),
        signer.public_key()
    );
    assert!(checkpoint::AuditPublicKey::parse("abc").is_err());
    assert_eq!(signer.public_key().key_id().len(), 16);
}
