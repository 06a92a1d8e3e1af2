//! `fql.query`: the supported subset of FQL, parsed with sqlparser into a small plan.
//!
//! Invariants:
//! - The text is parsed by a real SQL parser; this module only walks its syntax tree and
//!   refuses what the subset lacks, with Facebook's own codes and messages (601-605).
//! - Supported: `SELECT` of listed columns (no `*`) `FROM` `user` or `friend`, `WHERE`
//!   with `=`, `IN (...)`, `IN (SELECT ...)`, `AND`, `OR` and parentheses.
//! - A statement is indexable when every way to satisfy its `WHERE` pins `user.uid` or
//!   `friend.uid1`/`uid2` (604 otherwise); what it returns is cut from the session user's
//!   view, so nobody outside it is ever visible.

mod eval;
mod parse;

pub use eval::{run, Answer};
pub use parse::parse;

use crate::domain::UserField;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    User,
    Friend,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::User => "user",
            Table::Friend => "friend",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    User(UserField),
    Uid1,
    Uid2,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::User(f) => f.name(),
            Column::Uid1 => "uid1",
            Column::Uid2 => "uid2",
        }
    }

    fn is_index(self) -> bool {
        matches!(
            self,
            Column::User(UserField::Uid) | Column::Uid1 | Column::Uid2
        )
    }
}

/// A condition of a `WHERE` clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    /// `column IN (values)`; `=` is a one-value list.
    In(Column, Vec<String>),
    /// `column IN (SELECT one column ...)`.
    InSelect(Column, Box<Select>),
}

impl Cond {
    /// True when every way to satisfy the condition pins an indexed column.
    fn indexable(&self) -> bool {
        match self {
            Cond::And(a, b) => a.indexable() || b.indexable(),
            Cond::Or(a, b) => a.indexable() && b.indexable(),
            Cond::In(c, _) | Cond::InSelect(c, _) => c.is_index(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    pub table: Table,
    pub columns: Vec<Column>,
    pub filter: Cond,
}

impl Select {
    /// Whether answering needs profiles (any user column beyond the uid and the flags).
    pub fn needs_profiles(&self) -> bool {
        let own = self.columns.iter().any(|c| {
            matches!(c, Column::User(f) if !matches!(f, UserField::Uid | UserField::IsAppUser | UserField::HasAddedApp))
        });
        own || self.filter.needs_profiles()
    }
}

impl Cond {
    fn needs_profiles(&self) -> bool {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => a.needs_profiles() || b.needs_profiles(),
            Cond::In(Column::User(f), _) => !matches!(
                f,
                UserField::Uid | UserField::IsAppUser | UserField::HasAddedApp
            ),
            Cond::In(..) => false,
            Cond::InSelect(_, s) => s.needs_profiles(),
        }
    }
}

/// The 604 text Facebook gave for a statement with no indexed column.
pub const NOT_INDEXABLE: &str = "Your statement is not indexable - the WHERE clause must contain one of the columns marked with a star in http://developers.facebook.com/documentation.php?doc=fql";
