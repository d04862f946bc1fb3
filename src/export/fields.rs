//! The fields of a result's rows, listed once per kind of row: each field says how it shows
//! in the table (a [`Column`] and the cell as a person reads it) and in the CSV (a head and the
//! raw value), or that it shows in only one of them. A result's table, its Markdown table and
//! its CSV are all made from its one list, so they cannot disagree on what a row holds.
//!
//! The CSV may hold more than the table (a test's class and name beside its id, the counts a
//! table cell sums up) and the table more than the CSV (a note, a share with its interval):
//! such a field is marked as the one output's only. The table and the CSV each take their
//! fields in the list's order.

use super::csv_field;
use super::table::{Column, Table};
use std::io::{self, Write};

/// The text of one field of a row: raw, escaped by the output it goes to.
type Cell<T> = fn(&T) -> String;

struct Field<T> {
    table: Option<(Column, Cell<T>)>,
    csv: Option<(&'static str, Cell<T>)>,
}

/// The fields of rows of type `T`, in order.
pub(crate) struct Fields<T> {
    fields: Vec<Field<T>>,
}

impl<T> Fields<T> {
    pub(crate) fn new() -> Self {
        Self { fields: Vec::new() }
    }

    /// A field with the same text in the table and in the CSV (a name, a count).
    pub(crate) fn both(self, column: Column, head: &'static str, cell: Cell<T>) -> Self {
        self.each(column, cell, head, cell)
    }

    /// A field written for a person in the table (`cell`: "2.00 s", "12.5%") and raw in the
    /// CSV (`raw`: "2.000000", "0.125000").
    pub(crate) fn each(
        mut self,
        column: Column,
        cell: Cell<T>,
        head: &'static str,
        raw: Cell<T>,
    ) -> Self {
        self.fields.push(Field {
            table: Some((column, cell)),
            csv: Some((head, raw)),
        });
        self
    }

    /// A field of the table only.
    pub(crate) fn table(mut self, column: Column, cell: Cell<T>) -> Self {
        self.fields.push(Field {
            table: Some((column, cell)),
            csv: None,
        });
        self
    }

    /// A field of the CSV only.
    pub(crate) fn csv(mut self, head: &'static str, raw: Cell<T>) -> Self {
        self.fields.push(Field {
            table: None,
            csv: Some((head, raw)),
        });
        self
    }

    /// The table of `rows`, for the terminal or Markdown printer.
    pub(crate) fn to_table<'a>(&self, rows: impl IntoIterator<Item = &'a T>) -> Table
    where
        T: 'a,
    {
        let table: Vec<&(Column, Cell<T>)> = self
            .fields
            .iter()
            .filter_map(|f| f.table.as_ref())
            .collect();
        let mut t = Table::new(table.iter().map(|(c, _)| c.clone()).collect());
        for row in rows {
            t.row(table.iter().map(|(_, cell)| cell(row)).collect());
        }
        t
    }

    /// `rows` as CSV: the head line, then one line per row, every field through [`csv_field`].
    pub(crate) fn write_csv<'a>(
        &self,
        rows: impl IntoIterator<Item = &'a T>,
        out: &mut dyn Write,
    ) -> io::Result<()>
    where
        T: 'a,
    {
        let csv: Vec<&(&'static str, Cell<T>)> =
            self.fields.iter().filter_map(|f| f.csv.as_ref()).collect();
        let heads: Vec<&str> = csv.iter().map(|(head, _)| *head).collect();
        writeln!(out, "{}", heads.join(","))?;
        for row in rows {
            let fields: Vec<String> = csv.iter().map(|(_, raw)| csv_field(&raw(row))).collect();
            writeln!(out, "{}", fields.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::table::TableOptions;

    struct Row {
        name: &'static str,
        seconds: f64,
        runs: usize,
    }

    fn fields() -> Fields<Row> {
        Fields::<Row>::new()
            .both(Column::name("test"), "test_id", |r| r.name.to_string())
            .csv("runs", |r| r.runs.to_string())
            .each(
                Column::num("time"),
                |r| crate::export::format::duration(r.seconds),
                "seconds",
                |r| crate::export::format::decimal(r.seconds),
            )
            .table(Column::num("runs"), |r| r.runs.to_string())
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                name: "a,\"b\"\u{1b}",
                seconds: 2.0,
                runs: 3,
            },
            Row {
                name: "@c",
                seconds: 0.5,
                runs: 10,
            },
        ]
    }

    #[test]
    fn one_list_makes_the_table_and_the_csv() {
        let mut csv = Vec::new();
        fields()
            .write_csv(&rows(), &mut csv)
            .expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(csv).expect("UTF-8"),
            "test_id,runs,seconds\n\"a,\"\"b\"\"\\x1b\",3,2.000000\n'@c,10,0.500000\n"
        );
        let mut table = Vec::new();
        fields()
            .to_table(&rows())
            .print(&mut table, &TableOptions::default())
            .expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(table).expect("UTF-8"),
            "test         time  runs\na,\"b\"\\x1b  2.00 s     3\n@c         500 ms    10\n"
        );
        let mut md = Vec::new();
        fields()
            .to_table(rows().iter().skip(1))
            .markdown(&mut md, &TableOptions::default())
            .expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(md).expect("UTF-8"),
            "| test | time | runs |\n|---|---:|---:|\n| &#64;\u{200b}c | 500 ms | 10 |\n"
        );
    }
}
