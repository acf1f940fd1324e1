//! Unit tests of the task vocabulary: every state and action pair, spellings, the open,
//! pending and settled sets, account updates on completion, and event classification.

use super::*;
use ActionName as A;
use TaskState as S;

/// Every (state, action) pair, with the state it leads to or `None` when refused.
#[test]
fn every_state_and_action_pair() {
    let expected: [(S, [Option<S>; 8]); 6] = [
        // claim, unclaim, complete, verify, fail, reopen, cancel, reassign
        (
            S::Open,
            [
                Some(S::Claimed),
                None,
                Some(S::Done),
                None,
                Some(S::Failed),
                None,
                Some(S::Cancelled),
                Some(S::Open),
            ],
        ),
        (
            S::Claimed,
            [
                None,
                Some(S::Open),
                Some(S::Done),
                None,
                Some(S::Failed),
                None,
                Some(S::Cancelled),
                Some(S::Claimed),
            ],
        ),
        (
            S::Done,
            [None, None, None, Some(S::Verified), None, None, None, None],
        ),
        (S::Verified, [None; 8]),
        (
            S::Failed,
            [
                None,
                None,
                None,
                None,
                None,
                Some(S::Open),
                Some(S::Cancelled),
                None,
            ],
        ),
        (S::Cancelled, [None; 8]),
    ];
    assert_eq!(expected.len(), S::ALL.len());
    for (state, row) in expected {
        for (action, want) in A::ALL.iter().zip(row) {
            let got = transition(state, *action).ok();
            assert_eq!(got, want, "{action} on a {state} task");
        }
    }
}

#[test]
fn final_states_accept_nothing() {
    for state in [S::Verified, S::Cancelled] {
        for action in A::ALL {
            assert_eq!(transition(state, *action), Err(state));
        }
    }
}

#[test]
fn spellings_round_trip_and_are_distinct() {
    fn check<T: Copy + Eq + std::fmt::Debug>(
        all: &[T],
        text: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        let mut seen = std::collections::BTreeSet::new();
        for v in all {
            assert!(seen.insert(text(*v)), "{v:?} spelled twice");
            assert_eq!(parse(text(*v)), Some(*v));
        }
        assert_eq!(parse("no such word"), None);
    }
    check(S::ALL, S::as_str, S::parse);
    check(TaskKind::ALL, TaskKind::as_str, TaskKind::parse);
    check(EventKind::ALL, EventKind::as_str, EventKind::parse);
    check(Outcome::ALL, Outcome::as_str, Outcome::parse);
    check(
        AccountStatus::ALL,
        AccountStatus::as_str,
        AccountStatus::parse,
    );
    check(A::ALL, A::as_str, A::parse);
}

#[test]
fn serde_uses_the_stored_spelling_and_names_the_choices_on_error() {
    assert_eq!(
        serde_json::to_string(&TaskKind::TransferAdmin).unwrap(),
        "\"transfer_admin\""
    );
    let parsed: S = serde_json::from_str("\"claimed\"").unwrap();
    assert_eq!(parsed, S::Claimed);
    let err = serde_json::from_str::<S>("\"closed\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("open, claimed, done, verified, failed, cancelled"),
        "{err}"
    );
}

#[test]
fn open_pending_and_settled_sets() {
    assert!(S::Open.is_open() && S::Claimed.is_open());
    assert!(!S::Failed.is_open() && S::PENDING.contains(&S::Failed));
    for s in S::SETTLED {
        assert!(!S::PENDING.contains(&s));
    }
    assert!(TaskKind::Deprovision.revokes() && !TaskKind::Provision.revokes());
}

#[test]
fn completing_a_task_sets_the_account() {
    let set = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        account_after_completion(
            TaskKind::Modify,
            &set(&["a", "b"]),
            &set(&["c"]),
            &set(&["a"])
        ),
        Some((set(&["b", "c"]), AccountStatus::Active))
    );
    assert_eq!(
        account_after_completion(TaskKind::Deprovision, &set(&["a"]), &set(&[]), &set(&["a"])),
        Some((set(&[]), AccountStatus::Revoked))
    );
    assert_eq!(
        account_after_completion(
            TaskKind::NotifyThirdParty,
            &set(&["a"]),
            &set(&[]),
            &set(&[])
        ),
        None
    );
}

#[test]
fn classify_events() {
    assert_eq!(
        EventKind::classify(None, true, false),
        Some(EventKind::Joiner)
    );
    assert_eq!(EventKind::classify(None, false, false), None);
    assert_eq!(
        EventKind::classify(Some(true), false, false),
        Some(EventKind::Leaver)
    );
    assert_eq!(
        EventKind::classify(Some(true), true, true),
        Some(EventKind::Leaver)
    );
    assert_eq!(
        EventKind::classify(Some(false), true, false),
        Some(EventKind::Rehire)
    );
    assert_eq!(
        EventKind::classify(Some(true), true, false),
        Some(EventKind::Mover)
    );
    assert_eq!(
        EventKind::classify(Some(false), false, false),
        Some(EventKind::Leaver)
    );
}
