//! Annex 1 as the annex looks: the title, the 填表单位/填表日期 line, the group headings merged
//! over their columns, the two-level headings merged over their two, then the rows; one sheet
//! per unit and the city summary. CSV has the stable keys for machines.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use mobile_api::{Annex1Report, Annex1Row};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};

use super::columns::COLUMNS;
use crate::rules::sheet::Table;

pub const TITLE: &str = "救助管理服务质量大提升专项行动情况汇总表";

fn text(row: &Annex1Row, key: &str) -> String {
    match row.cells.get(key).map(|c| &c.value) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

pub fn csv(report: &Annex1Report) -> anyhow::Result<Table> {
    let mut columns: Vec<(&'static str, &'static str)> =
        vec![("unit", "填表单位代码"), ("name", "填表单位")];
    columns.extend(COLUMNS.iter().map(|c| (c.key, c.heading)));
    Ok(Table {
        title: TITLE.to_owned(),
        columns,
        rows: report
            .rows
            .iter()
            .map(|r| {
                [r.unit.clone(), r.name.clone()]
                    .into_iter()
                    .chain(COLUMNS.iter().map(|c| text(r, c.key)))
                    .collect()
            })
            .collect(),
    })
}

fn write_sheet(
    sheet: &mut Worksheet,
    report: &Annex1Report,
    rows: &[&Annex1Row],
    unit_name: &str,
) -> anyhow::Result<()> {
    let last = u16::try_from(COLUMNS.len())?;
    let center = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    sheet.merge_range(
        0,
        0,
        0,
        last,
        TITLE,
        &Format::new()
            .set_bold()
            .set_font_size(16)
            .set_align(FormatAlign::Center),
    )?;
    let filed_on = rows
        .iter()
        .find_map(|r| {
            r.filed.as_ref().map(|f| {
                f.filed_at
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .date_naive()
            })
        })
        .unwrap_or(report.as_of);
    sheet.write_string(1, 0, format!("填表单位：{unit_name}"))?;
    sheet.write_string(
        1,
        last - 4,
        format!("填表日期：{}", filed_on.format("%Y年%m月%d日")),
    )?;
    sheet.merge_range(2, 0, 4, 0, "序号", &center)?;
    // Group headings over their columns; two-level headings over their pair; the rest span down.
    let mut i = 0;
    while i < COLUMNS.len() {
        let group = COLUMNS[i].group;
        let end = (i..COLUMNS.len())
            .take_while(|&j| COLUMNS[j].group == group)
            .last()
            .unwrap_or(i);
        let (a, b) = (u16::try_from(i + 1)?, u16::try_from(end + 1)?);
        if a == b {
            sheet.write_string_with_format(2, a, group, &center)?;
        } else {
            sheet.merge_range(2, a, 2, b, group, &center)?;
        }
        i = end + 1;
    }
    let mut j = 0;
    while j < COLUMNS.len() {
        let col = u16::try_from(j + 1)?;
        match COLUMNS[j].parent {
            Some(parent) => {
                sheet.merge_range(3, col, 3, col + 1, parent, &center)?;
                sheet.write_string_with_format(4, col, COLUMNS[j].heading, &center)?;
                sheet.write_string_with_format(4, col + 1, COLUMNS[j + 1].heading, &center)?;
                j += 2;
            }
            None => {
                sheet.merge_range(3, col, 4, col, COLUMNS[j].heading, &center)?;
                j += 1;
            }
        }
    }
    for (n, row) in rows.iter().enumerate() {
        let line = u32::try_from(n)? + 5;
        sheet.write_string(
            line,
            0,
            if row.kind == "total" {
                "合计".to_owned()
            } else {
                (n + 1).to_string()
            },
        )?;
        for (k, c) in COLUMNS.iter().enumerate() {
            let col = u16::try_from(k + 1)?;
            match row.cells.get(c.key).map(|cell| &cell.value) {
                Some(serde_json::Value::Number(v)) => {
                    sheet.write_number(line, col, v.as_f64().unwrap_or_default())?;
                }
                Some(serde_json::Value::String(s)) => {
                    sheet.write_string(line, col, s)?;
                }
                _ => {}
            }
        }
    }
    sheet.write_string(
        u32::try_from(rows.len())? + 6,
        0,
        "备注：有关数据统计截止时间为填报日",
    )?;
    Ok(())
}

pub fn xlsx(report: &Annex1Report) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let all: Vec<&Annex1Row> = report.rows.iter().collect();
    if all.iter().any(|r| r.kind == "total") {
        let sheet = book.add_worksheet();
        sheet.set_name("汇总")?;
        write_sheet(sheet, report, &all, "泰安市民政局")?;
    }
    for row in report.rows.iter().filter(|r| r.kind != "total") {
        let sheet = book.add_worksheet();
        sheet.set_name(row.name.chars().take(31).collect::<String>())?;
        write_sheet(sheet, report, &[row], &row.name)?;
    }
    Ok(book.save_to_buffer()?)
}

pub fn xlsx_download(report: &Annex1Report) -> anyhow::Result<Response> {
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"annex1-{}.xlsx\"", report.as_of),
            ),
        ],
        xlsx(report)?,
    )
        .into_response())
}
