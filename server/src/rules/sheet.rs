//! Text tables as downloads: CSV (UTF-8 with a BOM, so Excel reads the Chinese, English keys in
//! the head) and XLSX (Chinese headings, a title row), for rosters and ledgers.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

/// A table: `(csv key, 中文 heading)` per column, and rows of text.
pub struct Table {
    pub title: String,
    pub columns: Vec<(&'static str, &'static str)>,
    pub rows: Vec<Vec<String>>,
}

/// A cell as a spreadsheet shows it and never runs it (OWASP CSV injection): text that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`; numbers stay numbers.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && text.parse::<f64>().is_err() {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A CSV download: UTF-8 with a BOM (so Excel reads the Chinese), every cell through
/// [`csv_cell`].
pub fn csv<H, R, C>(
    head: impl IntoIterator<Item = H>,
    rows: impl IntoIterator<Item = R>,
) -> anyhow::Result<Vec<u8>>
where
    H: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(head.into_iter().map(|h| csv_cell(h.as_ref()).into_owned()))?;
        for row in rows {
            w.write_record(row.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

impl Table {
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        csv(self.columns.iter().map(|c| c.0), &self.rows)
    }

    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string_with_format(
            0,
            0,
            &self.title,
            &Format::new().set_bold().set_font_size(14),
        )?;
        let head = Format::new().set_bold().set_text_wrap();
        for (i, (_, zh)) in self.columns.iter().enumerate() {
            let col = u16::try_from(i)?;
            sheet.write_string_with_format(2, col, *zh, &head)?;
            sheet.set_column_width(col, 14)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let line = u32::try_from(r)? + 3;
            for (i, cell) in row.iter().enumerate() {
                sheet.write_string(line, u16::try_from(i)?, cell)?;
            }
        }
        Ok(book.save_to_buffer()?)
    }

    /// The download in `format` (`csv` or `xlsx`) named `name`.
    pub fn download(&self, format: &str, name: &str) -> anyhow::Result<Response> {
        let (body, kind, ext) = if format == "xlsx" {
            (
                self.xlsx()?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )
        } else {
            (self.csv()?, "text/csv; charset=utf-8", "csv")
        };
        Ok((
            [
                (header::CONTENT_TYPE, kind.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.{ext}\""),
                ),
            ],
            body,
        )
            .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_quoted_and_numbers_are_not() {
        for risky in ["=1+2", "+86 138", "-cmd", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["王某", "-1.5", "12", "", "a=b"] {
            assert_eq!(csv_cell(plain), plain);
        }
        let out = csv(["name"], [["=HYPERLINK(\"http://x\")"]]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'=HYPERLINK"), "{text}");
    }
}
