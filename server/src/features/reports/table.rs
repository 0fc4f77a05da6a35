//! The street-patrol campaign report (the stage report) as a table: one column list serves CSV
//! (English keys) and XLSX (Chinese headings). Annex 1's own table is `crate::features::annex1`.

use mobile_api::{StageReport, StageRow};
use rust_xlsxwriter::{Format, Workbook};

/// A cell's value.
enum Value {
    Text(String),
    Number(Option<f64>),
}

type Extract = Box<dyn Fn(&StageRow) -> Value>;

fn count(f: impl Fn(&StageRow) -> i64 + 'static) -> Extract {
    Box::new(move |r| Value::Number(Some(f(r) as f64)))
}

/// `(csv key, 中文 heading, value)` in column order.
fn columns() -> Vec<(String, String, Extract)> {
    let mut cols: Vec<(String, String, Extract)> = vec![
        (
            "county_code".into(),
            "区划代码".into(),
            Box::new(|r: &StageRow| Value::Text(r.county_code.clone())),
        ),
        (
            "county".into(),
            "县（市、区）".into(),
            Box::new(|r: &StageRow| Value::Text(r.county.clone())),
        ),
        (
            "sightings".into(),
            "街面巡查发现报告数".into(),
            count(|r| r.sightings),
        ),
        (
            "people_found".into(),
            "发现流浪乞讨人员人数".into(),
            count(|r| r.people_found),
        ),
        (
            "special_targets".into(),
            "特殊救助对象报告数（未成年人、老年人、精神障碍患者）".into(),
            count(|r| r.special_targets),
        ),
        (
            "referrals".into(),
            "转介总数".into(),
            count(|r| r.referrals),
        ),
    ];
    for (key, zh) in [
        ("110", "110转介"),
        ("12345", "12345转介"),
        ("patrol", "街面巡查转介"),
        ("volunteer", "志愿者报告"),
        ("taxi", "出租车司机报告"),
        ("sanitation_security", "安保环卫人员报告"),
        ("charity", "公益慈善组织报告"),
        ("public", "群众报告"),
    ] {
        cols.push((
            format!("referrals_{key}"),
            zh.into(),
            count(move |r| r.referrals_by_channel.get(key).copied().unwrap_or(0)),
        ));
    }
    cols.push((
        "accepted_on_time_pct".into(),
        "按时签收率（%）".into(),
        Box::new(|r: &StageRow| Value::Number(r.accepted_on_time_pct)),
    ));
    cols.push((
        "median_minutes_to_accept".into(),
        "签收用时中位数（分钟）".into(),
        Box::new(|r: &StageRow| Value::Number(r.median_minutes_to_accept)),
    ));
    for (key, zh) in [
        ("admitted_to_station", "入站救助"),
        ("escorted_home", "护送返乡"),
        ("medical_transfer", "送医救治"),
        ("declined_help", "自愿放弃救助"),
    ] {
        cols.push((
            key.into(),
            zh.into(),
            count(move |r| r.outcomes.get(key).copied().unwrap_or(0)),
        ));
    }
    for (key, zh) in [
        ("quilt", "发放棉被"),
        ("coat", "发放棉衣"),
        ("food", "发放食品"),
        ("water", "发放饮用水"),
        ("heatstroke_medicine", "发放防暑药品"),
        ("other", "发放其他物资"),
    ] {
        cols.push((
            format!("supplies_{key}"),
            zh.into(),
            count(move |r| r.supplies.get(key).copied().unwrap_or(0)),
        ));
    }
    cols.push((
        "hotspots_registered".into(),
        "登记重点巡查区域数".into(),
        count(|r| r.hotspots_registered),
    ));
    cols.push((
        "hotspots_checked_during_alerts".into(),
        "极端天气期间已巡查重点区域数".into(),
        count(|r| r.hotspots_checked_during_alerts),
    ));
    for (key, zh) in [
        ("death", "死亡事件"),
        ("serious_injury", "重伤事件"),
        ("missing_from_care", "受助人员走失事件"),
        ("violence", "暴力事件"),
        ("other", "其他事件"),
    ] {
        cols.push((
            format!("incidents_{key}"),
            zh.into(),
            count(move |r| r.incidents.get(key).copied().unwrap_or(0)),
        ));
    }
    cols
}

pub fn csv(rows: &[StageRow]) -> anyhow::Result<Vec<u8>> {
    let cols = columns();
    let records = rows.iter().map(|r| {
        cols.iter()
            .map(|c| match (c.2)(r) {
                Value::Text(t) => t,
                Value::Number(Some(n)) if n.fract() == 0.0 => format!("{n:.0}"),
                Value::Number(Some(n)) => format!("{n:.1}"),
                Value::Number(None) => String::new(),
            })
            .collect::<Vec<_>>()
    });
    crate::rules::sheet::csv(cols.iter().map(|c| c.0.as_str()), records)
}

pub fn xlsx(report: &StageReport) -> anyhow::Result<Vec<u8>> {
    let cols = columns();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("街面巡查")?;
    let bold = Format::new().set_bold();
    let title = match &report.campaign {
        Some(c) => format!("街面巡查专项行动统计表（{c}）"),
        None => "街面巡查专项行动统计表".to_owned(),
    };
    sheet.write_string_with_format(0, 0, &title, &Format::new().set_bold().set_font_size(14))?;
    let period = format!(
        "统计期间 {} 至 {}（北京时间）",
        report
            .from
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M"),
        report
            .to
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M")
    );
    sheet.write_string(1, 0, &period)?;
    let head_format = Format::new().set_bold().set_text_wrap();
    for (i, (_, zh, _)) in cols.iter().enumerate() {
        let col = u16::try_from(i)?;
        sheet.write_string_with_format(3, col, zh, &head_format)?;
        sheet.set_column_width(col, if i == 1 { 16 } else { 12 })?;
    }
    for (r, row) in report.rows.iter().enumerate() {
        let line = u32::try_from(r)? + 4;
        let is_total = r + 1 == report.rows.len();
        for (i, (_, _, value)) in cols.iter().enumerate() {
            let col = u16::try_from(i)?;
            match value(row) {
                Value::Text(t) if is_total => {
                    sheet.write_string_with_format(line, col, &t, &bold)?
                }
                Value::Text(t) => sheet.write_string(line, col, &t)?,
                Value::Number(Some(n)) => sheet.write_number(line, col, n)?,
                Value::Number(None) => sheet.write_string(line, col, "")?,
            };
        }
    }
    Ok(book.save_to_buffer()?)
}
