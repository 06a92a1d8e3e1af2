//! Rows of the legacy user and friend tables, as `users.getInfo` and `fql.query` answer
//! them: typed cells the HTTP layer renders, never preformatted text.

use crate::domain::profile::FieldKind;
use crate::domain::{Person, Uid, UserField};

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Uid(Uid),
    Text(String),
    Bool(bool),
    /// A list field with no items; the item element's name is kept for XML.
    EmptyList(&'static str),
    /// No value known.
    Empty,
}

impl Cell {
    /// The cell compared as FQL compares: its text form.
    pub fn as_text(&self) -> String {
        match self {
            Cell::Uid(u) => u.to_string(),
            Cell::Text(t) => t.clone(),
            Cell::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            Cell::EmptyList(_) | Cell::Empty => String::new(),
        }
    }
}

/// A row: its columns in the order asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub columns: Vec<(&'static str, Cell)>,
}

/// The value of `field` for `person`.
pub fn user_cell(person: &Person, field: UserField) -> Cell {
    match field.kind() {
        FieldKind::Uid => Cell::Uid(person.uid),
        FieldKind::Bool => Cell::Bool(person.uses_app),
        FieldKind::List(item) => Cell::EmptyList(item),
        FieldKind::Text => person
            .profile
            .text(field)
            .map(|t| Cell::Text(t.to_string()))
            .unwrap_or(Cell::Empty),
        FieldKind::Other => Cell::Empty,
    }
}

/// A user-table row with `fields` in order.
pub fn user_row(person: &Person, fields: &[UserField]) -> Row {
    Row {
        columns: fields
            .iter()
            .map(|f| (f.name(), user_cell(person, *f)))
            .collect(),
    }
}
