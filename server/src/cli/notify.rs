//! Alert channels beside web push (`xunjiu notify`): DingTalk and WeCom group robots, SMS.

use clap::Subcommand;

use super::{first_line_of_stdin, parse_wire};
use crate::plumbing::config::{DbArgs, Settings};
use crate::plumbing::db;

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Add a channel for one station, one county or the whole city.
    Add {
        #[arg(long)]
        name: String,
        /// dingtalk, wecom or sms.
        #[arg(long, value_parser = parse_wire::<mobile_api::ChannelKind>)]
        kind: mobile_api::ChannelKind,
        /// The station whose referrals it announces.
        #[arg(long, group = "audience")]
        station: Option<String>,
        /// The county (six-digit code) whose supervisors it reaches.
        #[arg(long, group = "audience")]
        county: Option<String>,
        /// The city's supervisors.
        #[arg(long, group = "audience")]
        city: bool,
        /// The robot's webhook URL (dingtalk, wecom).
        #[arg(long)]
        webhook: Option<String>,
        /// DingTalk's signing secret (加签), if the robot uses one; `-` reads it from the first
        /// line of stdin. Better than on the command line, where others may see it: the
        /// environment variable.
        #[arg(long, env = "XUNJIU_NOTIFY_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Mobile numbers for sms, comma-separated.
        #[arg(long, value_delimiter = ',')]
        phones: Vec<String>,
    },
    /// List the channels (webhook tokens hidden).
    List,
    /// Stop using a channel; its delivery record stays.
    Remove { name: String },
    /// Send a test message through a channel and print the service's answer.
    Test { name: String },
}

pub async fn notify_command(
    args: DbArgs,
    settings: Settings,
    command: NotifyCommand,
) -> anyhow::Result<()> {
    use crate::features::notify::{channels, message, sender};
    use std::io::Write;
    let pool = db::pool(&args)?;
    db::migrate(&pool).await?;
    let mut out = std::io::stdout();
    let now = chrono::Utc::now();
    match command {
        NotifyCommand::Add {
            name,
            kind,
            station,
            county,
            city,
            webhook,
            secret,
            phones,
        } => {
            let audience = match (station, county, city) {
                (Some(s), None, false) => channels::Audience::Station(s),
                (None, Some(c), false) => channels::Audience::County(c),
                (None, None, true) => channels::Audience::City,
                _ => anyhow::bail!("name one of --station CODE, --county CODE or --city"),
            };
            let secret = match secret.as_deref() {
                Some("-") => Some(first_line_of_stdin("the secret")?),
                _ => secret,
            };
            let channel = channels::NewChannel {
                name: name.clone(),
                kind,
                audience,
                webhook,
                secret,
                phones,
            };
            let key = settings.secret_key()?;
            channels::add(&pool, &key, &channel, settings.push_allow_loopback, now).await?;
            writeln!(out, "channel {name} added")?;
        }
        NotifyCommand::List => {
            for c in channels::list(&pool, &settings.secret_key()?).await? {
                let audience = match (&c.station_code, &c.county_code) {
                    (Some(s), _) => format!("station {s}"),
                    (None, Some(k)) => format!("county {k}"),
                    _ => "city".to_owned(),
                };
                let target = match &c.webhook {
                    Some(url) => channels::masked(url),
                    None => c.phones.join(","),
                };
                let signed = if c.signed { "\tsigned" } else { "" };
                writeln!(out, "{}\t{}\t{audience}\t{target}{signed}", c.name, c.kind)?;
            }
        }
        NotifyCommand::Remove { name } => {
            channels::remove(&pool, &name, now).await?;
            writeln!(out, "channel {name} removed")?;
        }
        NotifyCommand::Test { name } => {
            let channel = channels::find(&pool, &settings.secret_key()?, &name).await?;
            let text = message::plain(
                "巡救测试消息 Xunjiu test",
                "若收到此消息，说明通道可用。",
                None,
            );
            let answer = sender::send(
                &settings,
                &sender::client(),
                &channel.kind,
                channel.webhook.as_deref(),
                channel.secret.as_deref(),
                &channel.phones,
                &text,
                now,
            )
            .await;
            writeln!(
                out,
                "{}\t{}\t{}",
                if answer.ok { "ok" } else { "failed" },
                answer.code,
                answer.detail.unwrap_or_default()
            )?;
            if !answer.ok {
                anyhow::bail!("the test message was not delivered");
            }
        }
    }
    Ok(())
}
