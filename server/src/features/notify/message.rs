//! What a robot or a text message says. Composed when the alert is queued, from facts that are
//! safe for a third-party chat service: what happened, the referral's short id, the station,
//! the urgency and the deadline, and a console link that needs a login. Never who the person is
//! (no categories, counts, names or person links), a caller's phone, a description or a place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A message as stored in `notify_outbox.message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub title: String,
    /// Lines of the body, shown as a list.
    pub lines: Vec<String>,
    /// Where the console shows it (`/console/#/referrals/…`); the sender prefixes
    /// `XUNJIU_PUBLIC_URL`.
    pub path: Option<String>,
    /// The SMS template's variables (`event`, `id`, `station`, `urgency`, `minutes`).
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// A referral's facts that a message may carry.
#[derive(Debug, Clone)]
pub struct ReferralFacts {
    pub id: Uuid,
    pub station_code: String,
    pub station_name: String,
    pub priority: String,
    pub accept_by: DateTime<Utc>,
}

/// About a referral: `title` says what happened, `note` adds a line (an escalation's level).
pub fn about_referral(
    title: &str,
    note: Option<&str>,
    f: &ReferralFacts,
    now: DateTime<Utc>,
) -> Message {
    let short = f.id.simple().to_string()[..8].to_owned();
    let urgent = f.priority == "urgent";
    let urgency = if urgent { "紧急" } else { "一般" };
    let minutes = (f.accept_by - now).num_minutes();
    let left = if minutes >= 0 {
        format!("{minutes} 分钟内签收")
    } else {
        format!("已超时 {} 分钟", -minutes)
    };
    let mut lines = vec![
        format!("编号：{short}"),
        format!("救助站：{}", f.station_name),
        format!("紧急程度：{urgency}"),
        format!("时限：{left}"),
    ];
    if let Some(note) = note {
        lines.push(note.to_owned());
    }
    let mut params = serde_json::Map::new();
    for (k, v) in [
        ("event", title.to_owned()),
        ("id", short),
        ("station", f.station_name.clone()),
        ("urgency", urgency.to_owned()),
        ("minutes", minutes.max(0).to_string()),
    ] {
        params.insert(k.to_owned(), serde_json::Value::String(v));
    }
    Message {
        title: title.to_owned(),
        lines,
        path: Some(format!("/console/#/referrals/{}", f.id)),
        params,
    }
}

/// About something else (an alert's unvisited hotspots, an incident): its title and line.
pub fn plain(title: &str, body: &str, path: Option<String>) -> Message {
    let mut params = serde_json::Map::new();
    for (k, v) in [
        ("event", title),
        ("id", "-"),
        ("station", body),
        ("urgency", "-"),
        ("minutes", "-"),
    ] {
        params.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
    }
    Message {
        title: title.to_owned(),
        lines: vec![body.to_owned()],
        path,
        params,
    }
}

/// Text as Markdown shows it: the characters that would make a link, an image, emphasis or
/// markup are escaped, so a name typed by someone (a hotspot's) stays text in the group chat.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

impl Message {
    /// Markdown for a robot, with the console link when the public address is known.
    pub fn markdown(&self, public_url: Option<&str>) -> String {
        let mut text = format!("### {}\n", markdown_text(&self.title));
        for line in &self.lines {
            text.push_str(&format!("- {}\n", markdown_text(line)));
        }
        if let Some(path) = &self.path {
            match public_url {
                Some(base) => text.push_str(&format!(
                    "\n[打开值班台]({}{path})\n",
                    base.trim_end_matches('/')
                )),
                None => text.push_str(&format!("\n值班台：{path}\n")),
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referral_message_names_the_facts_and_the_link_and_nothing_of_the_person() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let f = ReferralFacts {
            id: Uuid::nil(),
            station_code: "xintai".into(),
            station_name: "新泰市救助管理站".into(),
            priority: "urgent".into(),
            accept_by: now + chrono::Duration::minutes(5),
        };
        let m = about_referral("紧急转介", None, &f, now);
        let text = m.markdown(Some("https://xunjiu.example/"));
        assert!(text.contains("编号：00000000"));
        assert!(!text.contains("类别") && !text.contains("人数"), "{text}");
        assert!(text.contains("时限：5 分钟内签收"));
        assert!(text.contains("](https://xunjiu.example/console/#/referrals/00000000-"));
        assert_eq!(m.params["minutes"], "5");
    }

    #[test]
    fn text_typed_by_people_makes_no_link_or_markup_in_markdown() {
        let m = plain("巡查", "[点我](http://evil.example) <b>**桥洞**</b>", None);
        let text = m.markdown(None);
        assert!(!text.contains("[点我]("), "{text}");
        assert!(!text.contains("<b>"), "{text}");
        assert!(
            text.contains("\\[点我\\]\\(http://evil.example\\)"),
            "{text}"
        );
    }
}
