//! Webhook bodies. `json` is our documented event as recorded in the outbox; `slack` and
//! `teams` are incoming-webhook messages a person reads: who, which portal, how late, and a
//! link to the task.

use serde_json::{Value, json};

/// The body for `format` (`json`, `slack` or `teams`).
pub fn render(format: &str, event: &Value) -> Value {
    match format {
        "slack" => {
            let (title, detail, link) = describe(event, escape_slack);
            let link = link
                .map(|url| format!("\n<{url}|Open in Portcullis>"))
                .unwrap_or_default();
            json!({
                "text": format!("*{title}*\n{detail}{link}"),
                "mrkdwn": true,
            })
        }
        "teams" => {
            let (title, detail, link) = describe(event, escape_markdown);
            let actions: Vec<Value> = link
                .map(|url| json!({"type": "Action.OpenUrl", "title": "Open in Portcullis", "url": url}))
                .into_iter()
                .collect();
            // An Adaptive Card in the envelope Teams' Workflows incoming webhooks accept.
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true},
                            {"type": "TextBlock", "text": detail, "wrap": true},
                        ],
                        "actions": actions,
                    },
                }],
            })
        }
        _ => event.clone(),
    }
}

/// Slack's control characters: names from the directory must not become `<!channel>` pings
/// or links.
fn escape_slack(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown an Adaptive Card TextBlock would interpret (links, emphasis), backslash-escaped.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '[' | ']' | '(' | ')' | '*' | '_' | '`' | '#' | '<' | '>' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// (title, detail, link) in words; every value taken from the event goes through `escape`.
fn describe(event: &Value, escape: fn(&str) -> String) -> (String, String, Option<String>) {
    let text = |v: &Value| escape(v.as_str().unwrap_or("?"));
    let practice = text(&event["practice"]["name"]);
    let url = event["task"]["url"]
        .as_str()
        .or(event["url"].as_str())
        .map(str::to_owned);
    match event["type"].as_str().unwrap_or_default() {
        kind @ ("task.reminder" | "task.overdue" | "task.escalated") => {
            let task = &event["task"];
            let person = text(&task["person"]["display_name"]);
            let portal = task["portal"].as_str().unwrap_or("no portal").to_owned();
            let what = if person.is_empty() || person == "?" {
                format!("{} in {portal}", text(&task["kind"]).replace('_', " "))
            } else {
                format!(
                    "{} for {person} in {portal}",
                    text(&task["kind"]).replace('_', " ")
                )
            };
            let people = event["notify"]["people"]
                .as_array()
                .map(|people| {
                    people
                        .iter()
                        .map(|p| escape(p["name"].as_str().or(p["email"].as_str()).unwrap_or("?")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| text(&event["notify"]["contact"]));
            let due = text(&task["due_at"]);
            let late = task["overdue_seconds"].as_i64().unwrap_or(0);
            let title = match kind {
                "task.reminder" => format!("Reminder: {what} is due {due}"),
                "task.overdue" => format!("Overdue by {}: {what}", words(late)),
                _ => format!(
                    "Escalated (level {}): {what} is {} late",
                    task["escalation_level"],
                    words(late)
                ),
            };
            let detail = format!(
                "{practice}. Due {due}; state {}; for {people}. {}",
                text(&task["state"]),
                text(&task["action"])
            );
            (title, detail, url)
        }
        kind @ ("review.opened" | "review.reminder" | "review.escalated") => {
            let review = &event["review"];
            let detail = &event["detail"];
            let names = |list: &Value| {
                list.as_array()
                    .map(|people| {
                        people
                            .iter()
                            .map(|p| {
                                let who = escape(
                                    p["name"].as_str().or(p["email"].as_str()).unwrap_or("?"),
                                );
                                match p["items"].as_u64() {
                                    Some(n) if n > 0 => format!("{who} ({n})"),
                                    _ => who,
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            let name = text(&review["name"]);
            let due = text(&review["deadline"]);
            let (title, body) = match kind {
                "review.opened" => (
                    format!("Access review opened: {name}"),
                    format!(
                        "{practice}. Decisions are due {due}. Reviewers: {}.",
                        names(&event["notify"]["people"])
                    ),
                ),
                "review.reminder" => (
                    format!(
                        "Reminder: {} access review items undecided in {name}",
                        detail["undecided"]
                    ),
                    format!(
                        "{practice}. Due {due}. Still to decide: {}.",
                        names(&event["notify"]["people"])
                    ),
                ),
                _ => (
                    format!(
                        "Escalated: {name} passed its deadline with {} items undecided",
                        detail["undecided"]
                    ),
                    format!(
                        "{practice}. Due {due}. Late: {}. Decide them or hand them on: {}.",
                        names(&detail["late_reviewers"]),
                        names(&event["notify"]["people"])
                    ),
                ),
            };
            (title, body, url)
        }
        "review.completed" => (
            format!("Access review complete: {}", text(&event["review"]["name"])),
            format!(
                "{practice}. Every decision is in and every removal verified. Report SHA-256: {}",
                text(&event["detail"]["report_sha256"])
            ),
            event["detail"]["report_url"]
                .as_str()
                .map(str::to_owned)
                .or(url),
        ),
        "digest.daily" => {
            let d = &event["digest"];
            let oldest = match d["oldest_overdue"].as_object() {
                Some(o) => format!(
                    " Oldest overdue: {} for {} in {}, {} late.",
                    text(&o["kind"]).replace('_', " "),
                    text(&o["person"]),
                    o["portal"].as_str().unwrap_or("no portal"),
                    words(o["overdue_seconds"].as_i64().unwrap_or(0))
                ),
                None => String::new(),
            };
            (
                format!("Daily digest for {practice}, {}", text(&d["date"])),
                format!(
                    "{} open tasks, {} overdue.{oldest}",
                    d["open"], d["overdue"]
                ),
                url,
            )
        }
        "practice_portal.below_min_admins" => {
            let p = &event["practice_portal"];
            (
                format!(
                    "{} is below its minimum administrator count",
                    text(&p["portal"])
                ),
                format!(
                    "{practice}: {} administrator(s) left, minimum {}. Name another before the last one goes.",
                    p["admins"], p["min_admins"]
                ),
                url,
            )
        }
        "practice_portal.admin_lockout_soon" => {
            let p = &event["practice_portal"];
            (
                format!(
                    "An administrator account of {} is about to be locked for inactivity",
                    text(&p["name"])
                ),
                format!(
                    "{practice}: `{}` has not signed in for a while; the portal locks it on {}. Sign in before then.",
                    text(&event["account"]["username"]),
                    text(&event["lockout_at"])
                ),
                url,
            )
        }
        "practice_portal.admins_restored" => {
            let p = &event["practice_portal"];
            (
                format!("{} has enough administrators again", text(&p["portal"])),
                format!(
                    "{practice}: {} administrator(s), minimum {}.",
                    p["admins"], p["min_admins"]
                ),
                url,
            )
        }
        "webhook.dead_lettered" => (
            format!(
                "A notification could not be delivered to webhook {}",
                text(&event["webhook"]["name"])
            ),
            format!(
                "{practice}: {} event {} was given up after {} attempts. Last error: {}",
                text(&event["event"]["type"]),
                text(&event["event"]["id"]),
                event["attempts"],
                text(&event["last_error"])
            ),
            url,
        ),
        other => (
            format!("Portcullis: {other}"),
            format!("{practice}: a test notification. If you can read this, the webhook works."),
            url,
        ),
    }
}

/// `3725` → `1h 2m`: the two largest units, enough to say how late.
pub fn words(seconds: i64) -> String {
    let s = seconds.max(0);
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let parts: Vec<String> = units
        .iter()
        .scan(s, |left, &(size, unit)| {
            let n = *left / size;
            *left %= size;
            Some((n, unit))
        })
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overdue() -> Value {
        json!({
            "type": "task.overdue",
            "practice": {"slug": "acme", "name": "Acme Clinic"},
            "task": {
                "kind": "deprovision", "state": "open", "portal": "availity",
                "person": {"display_name": "Dana Leaver"}, "due_at": "2026-03-02T12:00:00Z",
                "overdue_seconds": 3725, "escalation_level": 1, "action": "Remove Dana.",
                "url": "https://p.example/api/v1/tasks/1",
            },
            "notify": {"contact": "assignee", "people": [{"name": "Pat Admin", "email": "pat@acme.example"}]},
        })
    }

    #[test]
    fn names_cannot_ping_a_channel_or_plant_a_link() {
        let mut event = overdue();
        event["task"]["person"]["display_name"] = json!("<!channel> [click](https://evil.example)");
        let slack = render("slack", &event);
        let text = slack["text"].as_str().unwrap();
        assert!(
            !text.contains("<!channel>") && text.contains("&lt;!channel&gt;"),
            "{text}"
        );
        let teams = render("teams", &event);
        let title = teams["attachments"][0]["content"]["body"][0]["text"]
            .as_str()
            .unwrap();
        assert!(
            title.contains("\\[click\\]\\(https://evil.example\\)"),
            "{title}"
        );
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(words(0), "0s");
        assert_eq!(words(59), "59s");
        assert_eq!(words(3725), "1h 2m");
        assert_eq!(words(90_000), "1d 1h");
        assert_eq!(words(7200), "2h");
    }

    #[test]
    fn slack_and_teams_say_who_where_how_late_with_a_link() {
        let slack = render("slack", &overdue());
        let text = slack["text"].as_str().unwrap();
        for part in [
            "Overdue by 1h 2m",
            "Dana Leaver",
            "availity",
            "Pat Admin",
            "<https://p.example/api/v1/tasks/1|",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        let teams = render("teams", &overdue());
        let card = &teams["attachments"][0]["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert!(
            card["body"][0]["text"]
                .as_str()
                .unwrap()
                .contains("Dana Leaver")
        );
        assert_eq!(
            card["actions"][0]["url"],
            "https://p.example/api/v1/tasks/1"
        );
        assert_eq!(render("json", &overdue()), overdue());
    }
}
